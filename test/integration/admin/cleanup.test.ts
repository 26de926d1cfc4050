import { DeleteCommand } from '@aws-sdk/lib-dynamodb'
import { beforeEach, describe, expect, it } from 'vitest'
import { cleanupStale, pruneMessages, reconcileRooms } from '../../../src/admin/cleanup.js'
import { type ConnectionProbe, createConnectionProbe } from '../../../src/admin/connectionProbe.js'
import { inspectRoom } from '../../../src/admin/inspectRoom.js'
import { isChatDbError } from '../../../src/errors.js'
import { roomKey, subscriptionKey } from '../../../src/keys.js'
import { connectionOf, dataset, seededTable } from '../../support/adminTables.js'
import { createTestTable, useTestTable } from '../../support/dynamo.js'
import { scanAll } from '../../support/scan.js'
import { writeShardSubscriptions } from '../../support/shardedSubscriptions.js'
import { copyRoomUnderName } from '../../support/unreadableRoom.js'

describe('src/admin/cleanup', () => {
  const t = useTestTable()

  beforeEach(() => t.counter.reset())

  describe('reconcileRooms', () => {
    it('unlists a room whose subscriptions vanished and rewrites a lost room record; dry run writes nothing', async () => {
      const { tableName, repository, store } = await seededTable(t)
      // 'websockets' loses its subscriptions behind the repository's back; 'random' its Room record.
      for (const userName of dataset.rooms.find((r) => r.roomName === 'websockets')?.subscribers ?? []) {
        const Key = subscriptionKey('websockets', connectionOf(userName))
        await t.documentClient.send(new DeleteCommand({ TableName: tableName, Key }))
      }
      const random = (await repository.roomSnapshot('random')).state
      if (!random) throw new Error('random has no state')
      await t.documentClient.send(
        new DeleteCommand({
          TableName: tableName,
          Key: roomKey({ roomName: 'random', active: true, createdAt: random.createdAt }),
        }),
      )
      t.counter.reset()

      const preview = await reconcileRooms(repository, store, { dryRun: true })
      expect(t.counter.writes()).toBe(0)
      const expected = [
        { roomName: 'random', action: 'repaired' },
        { roomName: 'websockets', action: 'emptied' },
      ]
      expect(preview).toEqual({
        rooms: 5,
        changes: expected,
        countersRepaired: 0,
        unreadable: [],
        dryRun: true,
      })

      expect(await reconcileRooms(repository, store)).toEqual({
        rooms: 5,
        changes: expected,
        countersRepaired: 0,
        unreadable: [],
        dryRun: false,
      })
      expect((await repository.activeRooms()).map((r) => r.roomName).sort()).toEqual([
        'dynamodb',
        'general',
        'random',
        'release-planning',
      ])
      expect((await reconcileRooms(repository, store)).changes).toEqual([])
    })

    it('reports a room under a name chatdb refuses, leaves it alone, and reconciles the others', async () => {
      const tableName = await createTestTable(t.documentClient, 'unreadable')
      const repository = t.repository({ tableName })
      const store = t.store(tableName)
      for (const roomName of ['good', 'badxroom', 'emptied'])
        await repository.subscribe({ roomName, connectionId: 'AAAAAAAAAAAAAAA=', userName: 'ada' })
      await repository.postMessage({ roomName: 'badxroom', connectionId: 'AAAAAAAAAAAAAAA=', message: 'hi' })
      expect(await copyRoomUnderName(t.documentClient, tableName, 'badxroom', 'bad|room')).toBe(4)
      await t.documentClient.send(
        new DeleteCommand({ TableName: tableName, Key: subscriptionKey('emptied', 'AAAAAAAAAAAAAAA=') }),
      )
      const before = await scanAll(t.documentClient, tableName)
      const unreadable = [
        {
          roomName: 'bad|room',
          code: 'validation.roomName',
          reason: 'roomName must not contain "|" (the key delimiter)',
        },
      ]
      expect(await reconcileRooms(repository, store, { dryRun: true })).toEqual({
        rooms: 4,
        changes: [{ roomName: 'emptied', action: 'emptied' }],
        countersRepaired: 0,
        unreadable,
        dryRun: true,
      })
      expect(await scanAll(t.documentClient, tableName)).toEqual(before)
      expect(await reconcileRooms(repository, store)).toMatchObject({
        changes: [{ roomName: 'emptied', action: 'emptied' }],
        unreadable,
      })
      const after = await scanAll(t.documentClient, tableName)
      expect(after.filter((item) => JSON.stringify(item).includes('bad|room'))).toEqual(
        before.filter((item) => JSON.stringify(item).includes('bad|room')),
      )
    })
  })

  describe('pruneMessages', () => {
    it('deletes messages older than the cutoff, counted per room; a dry run only counts', async () => {
      const { repository, store } = await seededTable(t)
      const now = Date.parse('2026-01-12T09:30:00.000Z')
      const olderThanMs = 20 * 60_000
      const old = dataset.messages.filter((m) => m.time < now - olderThanMs)
      expect(old.length).toBeGreaterThan(0)
      expect(old.length).toBeLessThan(dataset.messages.length)

      const preview = await pruneMessages(store, { olderThanMs, now, dryRun: true })
      expect(preview).toMatchObject({
        messages: old.length,
        cutoff: '2026-01-12T09:10:00.000Z',
        dryRun: true,
      })
      expect(t.counter.writes()).toBe(0)

      const result = await pruneMessages(store, { olderThanMs, now })
      expect(result.messages).toBe(old.length)
      expect(t.counter.counts().BatchWriteItem).toBe(Math.ceil(old.length / 25))
      const left = await inspectRoom(repository, 'general', { limit: 100 })
      expect(left?.messages.every((m) => m.time >= now - olderThanMs)).toBe(true)
    })
  })

  describe('cleanupStale', () => {
    it('removes the subscriptions of gone connections only, and keeps those that failed to answer', async () => {
      const { repository, store } = await seededTable(t)
      const probed: string[] = []
      const probe: ConnectionProbe = async (connectionId) => {
        probed.push(connectionId)
        if (connectionId === connectionOf('ada')) return { status: 'gone' }
        if (connectionId === connectionOf('grace')) return { status: 'error', error: 'Forbidden' }
        return { status: 'connected' }
      }
      const preview = await cleanupStale(repository, store, probe, { dryRun: true })
      expect(preview).toMatchObject({
        probed: 8,
        stale: [connectionOf('ada')],
        subscriptions: 3,
        dryRun: true,
      })
      expect(await repository.roomsOfConnection(connectionOf('ada'))).toHaveLength(3)

      const result = await cleanupStale(repository, store, probe)
      expect(result.errors).toEqual([{ connectionId: connectionOf('grace'), error: 'Forbidden' }])
      expect(result.subscriptions).toBe(3)
      expect(await repository.roomsOfConnection(connectionOf('ada'))).toEqual([])
      expect(await repository.roomsOfConnection(connectionOf('grace'))).toHaveLength(3)
      expect(new Set(probed).size).toBe(8)
    })

    it("finds gone connections in a large room's shard partitions and deletes them there", async () => {
      const { tableName, repository, store } = await seededTable(t)
      const members = ['shardA0=', 'shardA1=', 'shardA2=']
      await writeShardSubscriptions(t.documentClient, tableName, {
        roomName: 'general',
        shard: 3,
        connectionIds: members,
      })
      const gone = new Set(['shardA0=', 'shardA2='])
      const probe: ConnectionProbe = async (connectionId) =>
        gone.has(connectionId) ? { status: 'gone' } : { status: 'connected' }
      const result = await cleanupStale(repository, store, probe)
      expect(result.stale.sort()).toEqual([...gone].sort())
      expect(result.subscriptions).toBe(2)
      expect(await repository.shardSubscribers('general', 3)).toEqual(['shardA1='])
    })

    it('stops probing and removes nothing when the management API cannot be reached', async () => {
      const { repository, store } = await seededTable(t)
      const { probe, close } = createConnectionProbe({
        endpoint: 'http://127.0.0.1:1',
        region: 'local',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      })
      let probes = 0
      const counted: ConnectionProbe = (connectionId) => {
        probes++
        return probe(connectionId)
      }
      try {
        const failed = await cleanupStale(repository, store, counted, { concurrency: 2 }).catch(
          (error: unknown) => error,
        )
        expect(isChatDbError(failed, 'connections.unreachable')).toBe(true)
        // The two probes in flight settle, no third starts (8 connections are subscribed).
        expect(probes).toBe(2)
        // One Scan for the connection ids, then no write at all.
        expect(t.counter.counts()).toEqual({ Scan: 1 })
        expect(await repository.roomsOfConnection(connectionOf('ada'))).toHaveLength(3)
      } finally {
        close()
      }
    })
  })
})
