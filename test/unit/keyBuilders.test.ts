import { describe, expect, it } from 'vitest'
import { ChatDbError } from '../../src/errors.js'
import {
  BASE_SUBSCRIPTION_SHARD,
  fnv1a,
  MAX_SUBSCRIPTION_SHARDS,
  messageKey,
  messagePartition,
  presenceOutboxKey,
  roomKey,
  roomListingPartition,
  roomListingShard,
  roomListingShardOf,
  roomSortKey,
  roomSortKeyPrefix,
  roomStateKey,
  shardSubscriptionKey,
  sortableTime,
  subscriberCountKey,
  subscriptionKey,
  subscriptionShardOf,
  subscriptionShardOfPartition,
  subscriptionShardPartition,
  userHistoryKey,
  userHistoryShard,
  userNameOfHistoryKey,
} from '../../src/keys.js'

// Every key builder pinned to the exact strings of docs/data-model.md's table, with both sides of
// every boundary: a key that moves by one character is data no reader finds.

/** FNV-1a 32 of one 8-bit unit, from the algorithm's definition (offset basis, xor, prime). */
const fnvOfOneUnit = (unit: number) => Math.imul(0x811c9dc5 ^ unit, 0x01000193) >>> 0

describe('the key builders', () => {
  it('hash with FNV-1a 32 (its published test vectors)', () => {
    expect(fnv1a('')).toBe(0x811c9dc5)
    expect(fnv1a('a')).toBe(0xe40c292c)
    expect(fnv1a('foobar')).toBe(0xbf9cf968)
    // UTF-8 bytes: 'é' is C3 A9.
    expect(fnv1a('é')).toBe(Math.imul(fnvOfOneUnit(0xc3) ^ 0xa9, 0x01000193) >>> 0)
  })

  it('write times as ISO-8601 UTC with milliseconds', () => {
    expect(sortableTime(0)).toBe('1970-01-01T00:00:00.000Z')
    expect(sortableTime(Date.UTC(2026, 11, 7, 21, 5, 9, 42))).toBe('2026-12-07T21:05:09.042Z')
  })

  it('build the listing record keys: shard 0 is `Room`, shard k is `Room|k`', () => {
    expect(roomSortKeyPrefix(true)).toBe('true|')
    expect(roomSortKeyPrefix(false)).toBe('false|')
    const room = { roomName: 'lobby', active: true, createdAt: 0 }
    expect(roomSortKey(room)).toBe('true|1970-01-01T00:00:00.000Z|lobby')
    expect(roomSortKey({ ...room, active: false })).toBe('false|1970-01-01T00:00:00.000Z|lobby')
    expect(roomKey(room)).toStrictEqual({ pk: 'Room', sk: 'true|1970-01-01T00:00:00.000Z|lobby' })
    // FNV-1a('foobar') is 0xbf9cf968, 7 modulo 9.
    expect(roomKey({ ...room, roomName: 'foobar' }, 9)).toStrictEqual({
      pk: 'Room|7',
      sk: 'true|1970-01-01T00:00:00.000Z|foobar',
    })
    expect(roomListingPartition(0)).toBe('Room')
    expect(roomListingPartition(1)).toBe('Room|1')
    expect(roomListingPartition(63)).toBe('Room|63')
  })

  it('place a room among the listing shards by its name, and one shard (or none) is shard 0', () => {
    expect(roomListingShard('foobar', 9)).toBe(7)
    expect(roomListingShard('foobar', 11)).toBe(9)
    expect(roomListingShard('foobar')).toBe(0)
    expect(roomListingShard('foobar', 1)).toBe(0)
    expect(roomListingShard('foobar', 0)).toBe(0)
  })

  it('read a listing partition key back, and nothing else', () => {
    expect(roomListingShardOf('Room')).toBe(0)
    expect(roomListingShardOf('Room|1')).toBe(1)
    expect(roomListingShardOf('Room|10')).toBe(10)
    expect(roomListingShardOf('Room|63')).toBe(63)
    for (const pk of [
      'Room|0',
      'Room|01',
      'Room|',
      'Room|a',
      'Room|1a',
      'xRoom|1',
      'Room|1|2',
      'Rooms',
      'room',
    ])
      expect(roomListingShardOf(pk), pk).toBeUndefined()
  })

  it('build the keys of a room partition: guard, outbox, subscription, counter', () => {
    expect(BASE_SUBSCRIPTION_SHARD).toBe(-1)
    expect(roomStateKey('lobby')).toStrictEqual({ pk: 'Subscription|lobby', sk: '#room' })
    expect(presenceOutboxKey('lobby')).toStrictEqual({ pk: 'Subscription|lobby', sk: '#leaving' })
    expect(subscriptionKey('lobby', 'c1=')).toStrictEqual({ pk: 'Subscription|lobby', sk: 'lobby|c1=' })
    expect(shardSubscriptionKey('lobby', 'c1=', 5)).toStrictEqual({
      pk: 'Subscription|lobby|5',
      sk: 'lobby|c1=',
    })
    expect(shardSubscriptionKey('lobby', 'c1=', -1)).toStrictEqual(subscriptionKey('lobby', 'c1='))
    expect(subscriberCountKey('lobby', 5)).toStrictEqual({ pk: 'Subscription|lobby|5', sk: '#count' })
    expect(subscriberCountKey('lobby', -1)).toStrictEqual({ pk: 'Subscription|lobby', sk: '#count' })
  })

  it('take subscription shards 0 to 1,023 and the base, and refuse the rest with the range', () => {
    expect(MAX_SUBSCRIPTION_SHARDS).toBe(1_024)
    expect(subscriptionShardPartition('lobby', 0)).toBe('Subscription|lobby|0')
    expect(subscriptionShardPartition('lobby', 1_023)).toBe('Subscription|lobby|1023')
    expect(subscriptionShardPartition('lobby', -1)).toBe('Subscription|lobby')
    for (const shard of [-2, 1_024, 0.5]) {
      expect(() => subscriptionShardPartition('lobby', shard)).toThrow(
        new ChatDbError(
          'validation.option',
          `a subscription shard is a whole number 0–1023 or -1 (got ${shard})`,
        ),
      )
    }
  })

  it('take 1 to 1,024 subscription shards and refuse the rest with the range', () => {
    expect(subscriptionShardOf('foobar', 1)).toBe(0)
    expect(subscriptionShardOf('foobar', 1_024)).toBe(0xbf9cf968 % 1_024)
    expect(subscriptionShardOf('foobar', 3)).toBe(1)
    expect(subscriptionShardOf('foobar', 11)).toBe(9)
    for (const shards of [0, 1_025, 2.5]) {
      expect(() => subscriptionShardOf('foobar', shards)).toThrow(
        new ChatDbError('validation.option', `a large room has 1–1024 subscription shards (got ${shards})`),
      )
    }
  })

  it("read a subscription partition key back as its shard, only for the room's own keys", () => {
    expect(subscriptionShardOfPartition('Subscription|lobby', 'lobby')).toBe(-1)
    expect(subscriptionShardOfPartition('Subscription|lobby|0', 'lobby')).toBe(0)
    expect(subscriptionShardOfPartition('Subscription|lobby|17', 'lobby')).toBe(17)
    expect(subscriptionShardOfPartition('Subscription|lobby|1023', 'lobby')).toBe(1_023)
    for (const pk of [
      'Subscription|lobby|',
      'Subscription|lobby|017',
      'Subscription|lobby|1x',
      'Subscription|lobby|1|2',
      'Subscription|lobbyx|1',
      'Subscription|lobb',
      'Subscription|lobby2',
      'Subscription|lobbyX17',
      'Message|lobby',
    ])
      expect(subscriptionShardOfPartition(pk, 'lobby'), pk).toBeUndefined()
  })

  it('build message keys in time then id order', () => {
    expect(messagePartition('lobby')).toBe('Message|lobby')
    expect(messageKey({ roomName: 'lobby', time: 0, id: 'm1' })).toStrictEqual({
      pk: 'Message|lobby',
      sk: 'lobby|1970-01-01T00:00:00.000Z|m1',
    })
  })

  it("spread a user's history over write shards by the message id (UTF-16 units), shard 0 unsuffixed", () => {
    expect(userHistoryKey('guest', 0)).toBe('guest')
    expect(userHistoryKey('guest', 1)).toBe('guest|1')
    expect(userHistoryKey('guest', 3)).toBe('guest|3')
    expect(userHistoryShard('foobar', 9)).toBe(7)
    expect(userHistoryShard('foobar', 6)).toBe(4)
    expect(userHistoryShard('foobar', 1)).toBe(0)
    expect(userHistoryShard('foobar', 0)).toBe(0)
    // One UTF-16 unit (0xE9), not its two UTF-8 bytes.
    expect(userHistoryShard('é', 1_000_003)).toBe(fnvOfOneUnit(0xe9) % 1_000_003)
    expect(userNameOfHistoryKey('guest|3')).toBe('guest')
    expect(userNameOfHistoryKey('guest')).toBe('guest')
    expect(userNameOfHistoryKey('guest|')).toBe('guest')
  })
})
