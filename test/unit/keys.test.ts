import { describe, expect, it } from 'vitest'
import { messageKey, roomKey, roomStateKey, sortableTime, subscriptionKey } from '../../src/keys.js'

describe('keys', () => {
  describe('sortableTime', () => {
    it('sorts as text in time order', () => {
      const times = [0, 9, 10, 999, 1_000, 1_700_000_000_000, 1_700_000_000_001, 4_102_444_800_000]
      const texts = times.map(sortableTime)
      expect([...texts].sort()).toEqual(texts)
    })
  })

  describe('roomKey', () => {
    it('keeps the seed shape with the state first, then creation time, then the name', () => {
      expect(roomKey({ roomName: 'general', active: true, createdAt: 1_700_000_000_000 })).toEqual({
        pk: 'Room',
        sk: 'true|2023-11-14T22:13:20.000Z|general',
      })
    })

    it('gives two rooms created in the same millisecond different keys', () => {
      const a = roomKey({ roomName: 'a', active: true, createdAt: 5 })
      const b = roomKey({ roomName: 'b', active: true, createdAt: 5 })
      expect(a.sk).not.toBe(b.sk)
    })
  })

  describe('subscriptionKey and roomStateKey', () => {
    it('share the partition but never the sort key', () => {
      const state = roomStateKey('general')
      const sub = subscriptionKey('general', 'conn')
      expect(state.pk).toBe(sub.pk)
      expect(sub).toEqual({ pk: 'Subscription|general', sk: 'general|conn' })
      expect(state.sk).not.toContain('|')
    })
  })

  describe('messageKey', () => {
    it('ends in the message id so two messages in one millisecond differ', () => {
      const a = messageKey({ roomName: 'r', time: 1, id: 'a' })
      const b = messageKey({ roomName: 'r', time: 1, id: 'b' })
      expect(a).toEqual({ pk: 'Message|r', sk: 'r|1970-01-01T00:00:00.001Z|a' })
      expect(a.sk).not.toBe(b.sk)
    })
  })
})
