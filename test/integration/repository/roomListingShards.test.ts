import { beforeEach, describe, expect, it } from 'vitest'
import { isChatDbError } from '../../../src/errors.js'
import { roomListingPartition, roomListingShard } from '../../../src/keys.js'
import type { ActiveRoom } from '../../../src/repository/types.js'
import { mapWithConcurrency } from '../../../src/util/concurrency.js'
import { useTestTable } from '../../support/dynamo.js'
import { scanAll } from '../../support/scan.js'

const SHARDS = 4
const t = useTestTable()
let clock = Date.UTC(2026, 10, 26, 12)
const now = () => clock
const sharded = (options = {}) => t.repository({ roomListingShards: SHARDS, now, ...options })

let prefix = 0
/** Room names unique to one test (each test reads the listing of its own rooms only). */
const namesFor = (count: number) => {
  prefix++
  return Array.from({ length: count }, (_, i) => `p${prefix}-room-${String(i).padStart(3, '0')}`)
}

async function listingRecords(roomName: string) {
  return (await scanAll(t.documentClient, t.tableName)).filter(
    (item) => item._et === 'Room' && item.data === roomName,
  )
}

/** Every page of the listing, `limit` rooms at a time; `between` runs after each page. */
async function pageAll(
  repo: ReturnType<typeof sharded>,
  limit: number,
  between: (page: number) => Promise<void> = async () => {},
) {
  const seen: ActiveRoom[] = []
  let cursor: string | undefined
  let page = 0
  do {
    const answer = await repo.activeRoomsPage({ limit, cursor })
    seen.push(...answer.rooms)
    cursor = answer.nextCursor
    await between(page++)
  } while (cursor)
  return seen
}

beforeEach(() => t.counter.reset())

describe('room listing over 4 shards', () => {
  describe('room transitions', () => {
    it('writes each room to its own shard and still costs +4 per transition', async () => {
      const repo = sharded()
      const [roomName] = namesFor(1) as [string]
      t.counter.reset()
      await repo.subscribe({ roomName, connectionId: 'c1', userName: 'ada' })
      // The budget of a default deployment: subscribe 3 (+1 recent messages in the service), creation +4.
      expect(t.counter.counts()).toEqual({ PutItem: 3, Query: 3, DeleteItem: 1 })
      const shard = roomListingShard(roomName, SHARDS)
      expect(await listingRecords(roomName)).toMatchObject([
        { pk: roomListingPartition(shard), active: true },
      ])

      t.counter.reset()
      await repo.unsubscribe({ roomName, connectionId: 'c1' })
      // unsubscribe 2 (UpdateItem, Query), emptying +4 (claim, put, delete, the room read again).
      expect(t.counter.counts()).toEqual({ UpdateItem: 1, Query: 2, PutItem: 2, DeleteItem: 1 })
      expect(await listingRecords(roomName)).toMatchObject([
        { pk: roomListingPartition(shard), active: false },
      ])
    })

    it('uses every shard for many rooms, shard 0 being the Room partition', async () => {
      const repo = sharded()
      const names = namesFor(40)
      await mapWithConcurrency(names, 8, (roomName) =>
        repo.subscribe({ roomName, connectionId: 'c-spread', userName: 'ada' }),
      )
      const partitions = new Set(
        (await scanAll(t.documentClient, t.tableName))
          .filter((item) => item._et === 'Room' && names.includes(item.data as string))
          .map((item) => item.pk),
      )
      expect([...partitions].sort()).toEqual(['Room', 'Room|1', 'Room|2', 'Room|3'])
    })
  })

  describe('activeRoomsPage', () => {
    it('reads one Query per shard and answers in creation order across shards', async () => {
      const table = await isolatedTable()
      const repo = table.repository()
      const names = namesFor(30)
      for (const [i, roomName] of names.entries()) {
        // Three rooms per millisecond: equal times are ordered by name.
        clock = Date.UTC(2026, 10, 26, 13) + Math.floor(i / 3)
        await repo.subscribe({ roomName, connectionId: `c-order-${i}`, userName: 'ada' })
      }
      t.counter.reset()
      const page = await repo.activeRoomsPage()
      expect(t.counter.counts()).toEqual({ Query: SHARDS })
      expect(page.rooms.map((r) => r.roomName)).toEqual(names)
      expect(page.nextCursor).toBeUndefined()
      expect(await repo.activeRooms()).toEqual(page.rooms)
    })

    it('pages through 250 rooms, 7 at a time, listing each active room once and in order', async () => {
      const table = await isolatedTable()
      const repo = table.repository()
      const names = namesFor(250)
      await mapWithConcurrency(names, 10, async (roomName) => {
        clock++
        await repo.subscribe({ roomName, connectionId: `c-${roomName}`, userName: 'ada' })
      })
      const all = await repo.activeRooms()
      expect(all).toHaveLength(250)
      t.counter.reset()
      const seen = await pageAll(repo, 7)
      expect(seen).toEqual(all)
      // 36 pages; each reads only the shards with rooms left after the cursor.
      expect(t.counter.counts().Query).toBeLessThanOrEqual(36 * SHARDS)
      expect(Object.keys(t.counter.counts())).toEqual(['Query'])
    })

    it('skips no room that stays active while rooms are created and emptied between pages', async () => {
      const table = await isolatedTable()
      const repo = table.repository()
      const steady = namesFor(120)
      const churning = namesFor(60)
      for (const roomName of [...steady, ...churning]) {
        clock++
        await repo.subscribe({ roomName, connectionId: `c-${roomName}`, userName: 'ada' })
      }
      const fresh = namesFor(40)
      const seen = await pageAll(repo, 7, async (page) => {
        // Empty three churning rooms and create two new ones after every page.
        for (const roomName of churning.splice(0, 3))
          await repo.unsubscribe({ roomName, connectionId: `c-${roomName}` })
        for (const roomName of fresh.splice(0, 2)) {
          clock++
          await repo.subscribe({ roomName, connectionId: `c-${roomName}-${page}`, userName: 'bob' })
        }
      })
      const names = seen.map((r) => r.roomName)
      expect(new Set(names).size).toBe(names.length)
      for (const roomName of steady) expect(names).toContain(roomName)
      // Creation order holds across the whole walk.
      const times = seen.map((r) => r.createdAt)
      expect(times).toEqual([...times].sort((a, b) => a - b))
    })

    it('refuses a bad limit or a tampered cursor, having read nothing', async () => {
      const repo = sharded()
      await repo.subscribe({ roomName: 'bad-input-1', connectionId: 'c-bad', userName: 'ada' })
      await repo.subscribe({ roomName: 'bad-input-2', connectionId: 'c-bad', userName: 'ada' })
      const first = await repo.activeRoomsPage({ limit: 1 })
      expect(first.nextCursor).toEqual(expect.any(String))
      t.counter.reset()
      for (const call of [
        () => repo.activeRoomsPage({ limit: 0 }),
        () => repo.activeRoomsPage({ limit: 1001 }),
        () => repo.activeRoomsPage({ cursor: 'bogus' }),
        () => repo.activeRoomsPage({ cursor: (first.nextCursor as string).slice(0, -4) }),
        // A cursor of this listing handed to a repository configured with another shard count.
        () => t.repository({ roomListingShards: 2 }).activeRoomsPage({ cursor: first.nextCursor as string }),
      ]) {
        const error = await call().catch((e: unknown) => e)
        expect(isChatDbError(error) ? error.code : String(error)).toMatch(/^validation\.(limit|cursor)$/)
      }
      expect(t.counter.total()).toBe(0)
    })
  })

  describe('roomListCacheMs', () => {
    it('answers first pages from memory within the TTL and reads again after it', async () => {
      const table = await isolatedTable()
      const repo = table.repository({ roomListCacheMs: 1_000 })
      const [a, b] = namesFor(2) as [string, string]
      await repo.subscribe({ roomName: a, connectionId: 'c-cache', userName: 'ada' })
      t.counter.reset()
      expect((await repo.activeRoomsPage()).rooms.map((r) => r.roomName)).toEqual([a])
      expect(t.counter.counts()).toEqual({ Query: SHARDS })

      t.counter.reset()
      clock++
      await repo.subscribe({ roomName: b, connectionId: 'c-cache', userName: 'ada' })
      const subscribeRequests = t.counter.total()
      clock += 998
      // 999 ms after the read: the cached page, without the room created since.
      await Promise.all(Array.from({ length: 5 }, () => repo.activeRoomsPage()))
      expect((await repo.activeRoomsPage()).rooms.map((r) => r.roomName)).toEqual([a])
      expect(t.counter.total()).toBe(subscribeRequests)

      // Another page size, and a cursor's page, are not the cached page.
      t.counter.reset()
      const small = await repo.activeRoomsPage({ limit: 1 })
      await repo.activeRoomsPage({ limit: 1, cursor: small.nextCursor as string })
      expect(t.counter.counts().Query).toBeGreaterThan(SHARDS)

      t.counter.reset()
      clock += 1
      expect((await repo.activeRoomsPage()).rooms.map((r) => r.roomName)).toEqual([a, b])
      expect(t.counter.counts()).toEqual({ Query: SHARDS })
    })

    it('is off by default: every call reads', async () => {
      const repo = sharded()
      t.counter.reset()
      await repo.activeRoomsPage()
      await repo.activeRoomsPage()
      expect(t.counter.counts()).toEqual({ Query: 2 * SHARDS })
    })
  })
})

/**
 * A listing of its own: the shared table holds every test's rooms, so tests that read the whole
 * listing use a table of their own (same client, so the request counter sees it).
 */
async function isolatedTable() {
  const { createTestTable } = await import('../../support/dynamo.js')
  const tableName = await createTestTable(t.documentClient, 'listing')
  return {
    repository: (options = {}) => t.repository({ tableName, roomListingShards: SHARDS, now, ...options }),
  }
}
