import { describe, expect, it } from 'vitest'
import {
  countableInBase,
  counterSortsFirst,
  MARKING_WINDOW_MS,
} from '../../../src/repository/largeRoomReads.js'

describe('largeRooms', () => {
  describe('counterSortsFirst', () => {
    it('tells whether the partition counter (`#count`) sorts before the subscriptions of a room', () => {
      for (const name of ['lobby', '#general', '#count', '#cou', '#co', '$x', 'Ω'])
        expect(counterSortsFirst(name), name).toBe(true)
      for (const name of [' lobby', '!news', '"q"', '#announcements', '#a', '#cop']) {
        expect(counterSortsFirst(name), name).toBe(false)
      }
    })
  })

  describe('countableInBase', () => {
    const at = (subscribedAt: number) => ({ connectionId: `c${subscribedAt}`, userName: 'u', subscribedAt })

    it('leaves out base-partition subscriptions written after the marking window (subscribes moving to their shard)', () => {
      const markedAt = 1_000_000
      const subscribers = [
        at(markedAt - 5),
        at(markedAt + MARKING_WINDOW_MS),
        at(markedAt + MARKING_WINDOW_MS + 1),
      ]
      expect(countableInBase(subscribers, markedAt)).toBe(2)
      expect(countableInBase(subscribers, undefined)).toBe(3)
    })
  })
})
