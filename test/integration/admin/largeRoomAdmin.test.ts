import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { beforeEach, describe, expect, it } from 'vitest'
import { cleanupStale, reconcileRooms } from '../../../src/admin/cleanup.js'
import type { ConnectionProbe } from '../../../src/admin/connectionProbe.js'
import { distributionOf, inspectRoom } from '../../../src/admin/inspectRoom.js'
import { inspectRooms } from '../../../src/admin/inspectRooms.js'
import { isChatDbError } from '../../../src/errors.js'
import {
  BASE_SUBSCRIPTION_SHARD,
  roomKey,
  shardSubscriptionKey,
  subscriberCountKey,
  subscriptionKey,
  subscriptionShardOf,
} from '../../../src/keys.js'
import { useTestTable } from '../../support/dynamo.js'

const THRESHOLD = 5
const SHARDS = 4

describe('src/admin on large rooms', () => {
  const t = useTestTable()
  const repository = () => t.repository({ largeRoomThreshold: THRESHOLD, largeRoomShards: SHARDS })

  beforeEach(() => t.counter.reset())

  /** Subscribes THRESHOLD members (they stay in the base partition), then `more` (spread over the shards). */
  async function largeRoom(roomName: string, more: number) {
    const chat = repository()
    const base = Array.from({ length: THRESHOLD }, (_, i) => `${roomName}-b${i}=`)
    const sharded = Array.from({ length: more }, (_, i) => `${roomName}-s${i}=`)
    for (const connectionId of [...base, ...sharded]) {
      await chat.subscribe({ roomName, connectionId, userName: `u-${connectionId.slice(0, -1)}` })
    }
    expect(await chat.largeRoomShards(roomName)).toBe(SHARDS)
    const perShard = Array.from({ length: SHARDS }, (_, shard) =>
      sharded.filter((id) => subscriptionShardOf(id, SHARDS) === shard),
    )
    return { chat, base, sharded, perShard }
  }

  async function addToCounter(roomName: string, shard: number, delta: number) {
    await t.documentClient.send(
      new UpdateCommand({
        TableName: t.tableName,
        Key: subscriberCountKey(roomName, shard),
        UpdateExpression: 'ADD #n :delta',
        ExpressionAttributeNames: { '#n': 'n' },
        ExpressionAttributeValues: { ':delta': delta },
      }),
    )
  }

  describe('inspectRoom', () => {
    it('shows a large room’s shards, counted and exact subscribers, per-partition sizes and a bounded member list', async () => {
      const { base, perShard } = await largeRoom('lobby', 9)
      const room = await inspectRoom(repository(), 'lobby', { members: 7 })
      const sizes = perShard.map((ids) => ids.length)
      expect(room?.large).toEqual({
        shards: SHARDS,
        subscriberCount: 14,
        exactSubscribers: 14,
        users: 14,
        partitions: [
          { shard: BASE_SUBSCRIPTION_SHARD, subscribers: THRESHOLD, counted: THRESHOLD },
          ...sizes.map((size, shard) => ({ shard, subscribers: size, counted: size })),
        ],
        distribution: distributionOf(sizes),
        countersOff: [],
      })
      expect(room?.listed).toBe(true)
      // Base partition first, then the shards in order; each member with the partition it is in.
      expect(room?.subscribers).toHaveLength(7)
      expect(room?.membersOmitted).toBe(7)
      for (const member of room?.subscribers ?? []) {
        const expected = base.includes(member.connectionId)
          ? BASE_SUBSCRIPTION_SHARD
          : subscriptionShardOf(member.connectionId, SHARDS)
        expect(member.shard).toBe(expected)
      }
      expect(
        room?.subscribers
          .slice(0, THRESHOLD)
          .map((s) => s.connectionId)
          .sort(),
      ).toEqual([...base].sort())
      expect(room?.users).toEqual([...new Set(room?.subscribers.map((s) => s.userName))].sort())

      // The default list is bounded too; a counter drifted by +3 shows up as off.
      const drifted = perShard.findIndex((ids) => ids.length > 0)
      await addToCounter('lobby', drifted, 3)
      const again = await inspectRoom(repository(), 'lobby')
      expect(again?.subscribers).toHaveLength(14)
      expect(again?.membersOmitted).toBe(0)
      expect(again?.large?.subscriberCount).toBe(17)
      expect(again?.large?.exactSubscribers).toBe(14)
      expect(again?.large?.countersOff).toEqual([
        { shard: drifted, subscribers: sizes[drifted], counted: (sizes[drifted] ?? 0) + 3 },
      ])
    })

    it('describes a large room by its counters with exact: false, listing base members only', async () => {
      await largeRoom('foyer', 6)
      t.counter.reset()
      const room = await inspectRoom(repository(), 'foyer', { exact: false, members: 2 })
      // The room and its messages, the guard (largeness), the counters: nothing per shard.
      expect(t.counter.counts()).toEqual({ Query: 2, GetItem: 1, BatchGetItem: 1 })
      expect(room?.large).toMatchObject({ shards: SHARDS, subscriberCount: 11 })
      expect(room?.large?.exactSubscribers).toBeUndefined()
      expect(room?.large?.partitions.map((p) => p.shard)).toEqual([BASE_SUBSCRIPTION_SHARD, 0, 1, 2, 3])
      expect(room?.subscribers.map((s) => s.shard)).toEqual([
        BASE_SUBSCRIPTION_SHARD,
        BASE_SUBSCRIPTION_SHARD,
      ])
      expect(room?.membersOmitted).toBe(9)
    })

    it('leaves a small room as it was (2 Queries, every member) and bounds it only when asked', async () => {
      const chat = repository()
      for (const id of ['small-a=', 'small-b=', 'small-c=']) {
        await chat.subscribe({ roomName: 'nook', connectionId: id, userName: id.slice(0, -1) })
      }
      t.counter.reset()
      const room = await inspectRoom(repository(), 'nook')
      expect(t.counter.counts()).toEqual({ Query: 2 })
      expect(room?.large).toBeUndefined()
      expect(room?.membersOmitted).toBeUndefined()
      expect(room?.subscribers).toHaveLength(3)
      const bounded = await inspectRoom(repository(), 'nook', { members: 1 })
      expect(bounded?.subscribers).toHaveLength(1)
      expect(bounded?.membersOmitted).toBe(2)
      expect(bounded?.users).toHaveLength(3)
      const refused = await inspectRoom(repository(), 'nook', { members: -1 }).catch((error) => error)
      expect(isChatDbError(refused) && refused.code).toBe('validation.option')
    })
  })

  describe('inspectRooms', () => {
    it('counts a large room by its counters, with its shards and no user count', async () => {
      await largeRoom('hall', 3)
      await addToCounter('hall', BASE_SUBSCRIPTION_SHARD, 2)
      const { rooms } = await inspectRooms(repository(), t.store())
      const hall = rooms.find((r) => r.roomName === 'hall')
      expect(hall).toMatchObject({ active: true, subscribers: 10, shards: SHARDS })
      expect(hall?.users).toBeUndefined()
    })
  })

  describe('reconcileRooms', () => {
    it('repairs drifted counters and a lost listing record of a large room; a dry run writes nothing', async () => {
      // A fresh table keeps the other tests' rooms out of the counts.
      const { perShard } = await largeRoom('atrium', 6)
      // 'gallery': its base members leave, so its members are all in shard partitions.
      const gallery = await largeRoom('gallery', 4)
      for (const connectionId of gallery.base)
        await gallery.chat.unsubscribe({ roomName: 'gallery', connectionId })
      const drifted = perShard.findIndex((ids) => ids.length > 0)
      await addToCounter('atrium', drifted, 5)
      await addToCounter('atrium', BASE_SUBSCRIPTION_SHARD, -1)
      const state = (await repository().roomSnapshot('atrium')).state
      if (!state) throw new Error('atrium has no state')
      await t.documentClient.send(
        new DeleteCommand({
          TableName: t.tableName,
          Key: roomKey({ roomName: 'atrium', active: true, createdAt: state.createdAt }),
        }),
      )
      const names = (await t.store().roomRecords()).names
      expect([...names].filter((name) => name.includes('|'))).toEqual([])
      expect(names.has('gallery')).toBe(true)
      t.counter.reset()

      const preview = await reconcileRooms(repository(), t.store(), { dryRun: true })
      expect(t.counter.writes()).toBe(0)
      const atrium = { roomName: 'atrium', action: 'repaired', countersRepaired: 2 }
      expect(preview.changes.filter((c) => ['atrium', 'gallery'].includes(c.roomName))).toEqual([atrium])
      expect(preview.countersRepaired).toBeGreaterThanOrEqual(2)
      expect(preview.dryRun).toBe(true)

      const done = await reconcileRooms(repository(), t.store())
      expect(done.changes.filter((c) => ['atrium', 'gallery'].includes(c.roomName))).toEqual([atrium])
      const exact = await repository().largeRoomSnapshot('atrium')
      expect(exact?.partitions.every((p) => (p.counted ?? 0) === p.subscribers)).toBe(true)
      expect((await repository().subscriberCounts('atrium'))?.total).toBe(11)
      const listed = (await repository().activeRooms()).map((r) => r.roomName)
      expect(listed).toEqual(expect.arrayContaining(['atrium', 'gallery']))

      const after = await reconcileRooms(repository(), t.store())
      expect(after.changes).toEqual([])
      expect(after.countersRepaired).toBe(0)
    })

    it('empties a large room whose every subscription vanished, repairing its counters', async () => {
      const { base, sharded } = await largeRoom('cellar', 3)
      for (const connectionId of base) {
        await t.documentClient.send(
          new DeleteCommand({ TableName: t.tableName, Key: subscriptionKey('cellar', connectionId) }),
        )
      }
      for (const connectionId of sharded) {
        const Key = shardSubscriptionKey('cellar', connectionId, subscriptionShardOf(connectionId, SHARDS))
        await t.documentClient.send(new DeleteCommand({ TableName: t.tableName, Key }))
      }
      const partitionsHeld = 1 + new Set(sharded.map((id) => subscriptionShardOf(id, SHARDS))).size
      t.counter.reset()
      const preview = await reconcileRooms(repository(), t.store(), { dryRun: true })
      expect(t.counter.writes()).toBe(0)
      const cellar = { roomName: 'cellar', action: 'emptied', countersRepaired: partitionsHeld }
      expect(preview.changes.filter((c) => c.roomName === 'cellar')).toEqual([cellar])
      const done = await reconcileRooms(repository(), t.store())
      expect(done.changes.filter((c) => c.roomName === 'cellar')).toEqual([cellar])
      expect((await repository().subscriberCounts('cellar'))?.total).toBe(0)
      expect((await repository().activeRooms()).map((r) => r.roomName)).not.toContain('cellar')
    })
  })

  describe('cleanupStale', () => {
    it('counts gone connections out of a large room’s counters', async () => {
      const { base, sharded } = await largeRoom('porch', 4)
      const gone = new Set([base[0], sharded[0]])
      const probe: ConnectionProbe = async (connectionId) =>
        gone.has(connectionId) ? { status: 'gone' } : { status: 'connected' }
      const result = await cleanupStale(repository(), t.store(), probe)
      expect(result.stale.filter((id) => id.startsWith('porch-')).sort()).toEqual([...gone].sort())
      const exact = await repository().largeRoomSnapshot('porch')
      expect(exact?.subscribers).toHaveLength(7)
      expect(exact?.partitions.map((p) => p.counted ?? 0)).toEqual(
        exact?.partitions.map((p) => p.subscribers),
      )
      expect((await repository().subscriberCounts('porch'))?.total).toBe(7)
    })
  })
})
