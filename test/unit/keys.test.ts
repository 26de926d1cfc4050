import { describe, expect, it } from 'vitest'
import { isChatDbError } from '../../src/errors.js'
import {
  BASE_SUBSCRIPTION_SHARD,
  fnv1a,
  messageKey,
  roomKey,
  roomStateKey,
  sortableTime,
  subscriptionKey,
  subscriptionPartition,
  subscriptionShardOf,
  subscriptionShardPartition,
} from '../../src/keys.js'

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

  describe('subscriptionShardPartition', () => {
    it('puts shard k of a room beside its base partition, which is shard -1', () => {
      expect(subscriptionShardPartition('lobby', 0)).toBe('Subscription|lobby|0')
      expect(subscriptionShardPartition('lobby', 63)).toBe('Subscription|lobby|63')
      expect(subscriptionShardPartition('lobby', BASE_SUBSCRIPTION_SHARD)).toBe(
        subscriptionPartition('lobby'),
      )
    })

    it('refuses a shard that is not a whole number in range', () => {
      for (const shard of [-2, 0.5, Number.NaN, 1_024]) {
        const error = (() => {
          try {
            subscriptionShardPartition('lobby', shard)
          } catch (e) {
            return e
          }
        })()
        expect(isChatDbError(error, 'validation.option'), String(shard)).toBe(true)
      }
    })
  })

  describe('subscriptionShardOf', () => {
    it('is FNV-1a of the connection id modulo the shards: stable across processes', () => {
      expect(subscriptionShardOf('Xk3a9cD1oAMCJzQ=', 64)).toBe(fnv1a('Xk3a9cD1oAMCJzQ=') % 64)
      expect(subscriptionShardOf('Xk3a9cD1oAMCJzQ=', 1)).toBe(0)
    })

    it('spreads random connection ids evenly', () => {
      const counts = new Array<number>(16).fill(0)
      for (let i = 0; i < 16_000; i++) {
        const id = `${i.toString(36)}Z${(i * 7919).toString(36)}=`
        const shard = subscriptionShardOf(id, 16)
        counts[shard] = (counts[shard] ?? 0) + 1
      }
      for (const count of counts) expect(count).toBeGreaterThan(800)
      for (const count of counts) expect(count).toBeLessThan(1_200)
    })

    it('refuses a shard count out of 1–1,024', () => {
      for (const shards of [0, 1.5, 1_025]) {
        const error = (() => {
          try {
            subscriptionShardOf('a=', shards)
          } catch (e) {
            return e
          }
        })()
        expect(isChatDbError(error, 'validation.option'), String(shards)).toBe(true)
      }
    })
  })
})
