import { BatchPutRequest } from 'dynamodb-toolbox/entity/actions/batchPut'
import { beforeEach, describe, expect, it } from 'vitest'
import { frameBytes, MAX_OUTGOING_FRAME_BYTES } from '../../../src/protocol/fitFrame.js'
import type { RoomListFrame } from '../../../src/protocol/frames.js'
import { writeInBatches } from '../../../src/repository/batchWrite.js'
import { createTableStore } from '../../../src/repository/tableStore.js'
import { useTestTable } from '../../support/dynamo.js'
import { useRouter } from '../../support/routerHarness.js'

const SHARDS = 4
const t = useTestTable()
const h = useRouter(t, { roomListingShards: SHARDS })

beforeEach(() => {
  h.fake.clear()
  t.counter.reset()
})

async function listRooms(body: Record<string, unknown> = {}) {
  const asker = h.newConnection()
  const status = await h.send(asker, { action: 'listRooms', ...body })
  return { status, frames: h.frames(asker) }
}

async function page(body: Record<string, unknown> = {}): Promise<RoomListFrame> {
  const { status, frames } = await listRooms(body)
  expect(status).toBe(200)
  const [frame] = frames
  if (frame?.type !== 'roomList') throw new Error(`expected a roomList frame, got ${JSON.stringify(frames)}`)
  return frame
}

describe('listRooms over 4 listing shards', () => {
  it('pages with limit and cursor through every room, in creation order, one Query per shard', async () => {
    const names = Array.from({ length: 23 }, (_, i) => `paged-${String(i).padStart(2, '0')}`)
    for (const roomName of names) {
      expect(await h.send(h.newConnection(), { action: 'subscribe', roomName, userName: 'ada' })).toBe(200)
    }
    t.counter.reset()
    const all = await page()
    expect(all.rooms.map((r) => r.roomName)).toEqual(names)
    expect(all.nextCursor).toBeUndefined()
    expect(t.counter.counts()).toEqual({ Query: SHARDS })

    const seen: string[] = []
    let cursor: string | undefined
    do {
      const next: RoomListFrame = await page(cursor ? { limit: 5, cursor } : { limit: 5 })
      expect(next.rooms.length).toBeLessThanOrEqual(5)
      seen.push(...next.rooms.map((r) => r.roomName))
      cursor = next.nextCursor
    } while (cursor)
    expect(seen).toEqual(names)
  })

  it('trims a page of long names to 128 KB with a nextCursor right after the last room sent', async () => {
    // 1,000 listing records with 100-character names, written directly: the listing reads only them.
    const store = createTableStore({
      documentClient: t.documentClient,
      tableName: t.tableName,
      roomListingShards: SHARDS,
    })
    const names = Array.from(
      { length: 1_000 },
      (_, i) => `long-${String(i).padStart(4, '0')}-${'x'.repeat(90)}`,
    )
    await writeInBatches(
      t.documentClient,
      t.tableName,
      names.map((roomName, i) =>
        store.entities.Room.build(BatchPutRequest)
          .item({ roomName, active: true, createdAt: 4_000_000_000_000 + i, version: 1 })
          .params(),
      ),
    )
    const before = (await t.repository({ roomListingShards: SHARDS }).activeRooms()).map((r) => r.roomName)
    const first = await page()
    expect(frameBytes(first)).toBeLessThanOrEqual(MAX_OUTGOING_FRAME_BYTES)
    expect(first.rooms.length).toBeLessThan(1_000)
    expect(first.truncated).toBeUndefined()
    expect(first.nextCursor).toEqual(expect.any(String))
    const seen = first.rooms.map((r) => r.roomName)
    let cursor = first.nextCursor
    while (cursor) {
      const next = await page({ cursor })
      expect(frameBytes(next)).toBeLessThanOrEqual(MAX_OUTGOING_FRAME_BYTES)
      seen.push(...next.rooms.map((r) => r.roomName))
      cursor = next.nextCursor
    }
    expect(seen).toEqual(before)
  })

  it('answers a tampered cursor with a 400 frame, having written nothing', async () => {
    await h.send(h.newConnection(), { action: 'subscribe', roomName: 'tamper-a', userName: 'ada' })
    await h.send(h.newConnection(), { action: 'subscribe', roomName: 'tamper-b', userName: 'ada' })
    const first = await page({ limit: 1 })
    const forged = Buffer.from(JSON.stringify({ v: 1, n: SHARDS, s: [[0, 1, 'x|y']] })).toString('base64url')
    for (const cursor of [(first.nextCursor as string).slice(0, -4), forged, 'nope']) {
      t.counter.reset()
      const { status, frames } = await listRooms({ cursor })
      expect(status).toBe(400)
      expect(frames).toMatchObject([{ type: 'error', action: 'listRooms', statusCode: 400 }])
      expect(t.counter.writes()).toBe(0)
    }
  })
})

describe('listRooms with roomListCacheMs', () => {
  const cached = useRouter(t, { roomListingShards: SHARDS, roomListCacheMs: 60_000 })

  it('reads the listing once for many first pages of a warm router, and always for a cursor', async () => {
    await cached.send(cached.newConnection(), { action: 'subscribe', roomName: 'cached-a', userName: 'ada' })
    await cached.send(cached.newConnection(), { action: 'subscribe', roomName: 'cached-b', userName: 'ada' })
    t.counter.reset()
    const askers = Array.from({ length: 5 }, () => cached.newConnection())
    for (const asker of askers) expect(await cached.send(asker, { action: 'listRooms' })).toBe(200)
    // One read of each of the 4 shards for all five answers.
    expect(t.counter.counts()).toEqual({ Query: SHARDS })
    const frames = askers.map((asker) => cached.frames(asker)[0])
    expect(new Set(frames.map((frame) => JSON.stringify(frame))).size).toBe(1)

    t.counter.reset()
    const first = cached.newConnection()
    await cached.send(first, { action: 'listRooms', limit: 1 })
    const [page] = cached.frames(first)
    if (page?.type !== 'roomList' || !page.nextCursor) throw new Error('expected a page with a cursor')
    await cached.send(cached.newConnection(), { action: 'listRooms', limit: 1, cursor: page.nextCursor })
    await cached.send(cached.newConnection(), { action: 'listRooms', limit: 1, cursor: page.nextCursor })
    // The limit-1 first page once, then each cursor page anew (one Query per shard left after it).
    expect(t.counter.counts().Query).toBeGreaterThan(SHARDS + 2)
  })
})
