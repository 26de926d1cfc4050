import { describe, expect, it } from 'vitest'
import { fromEnvironment } from '../../../src/config/fromEnvironment.js'
import { checkOption } from '../../../src/config/settings.js'
import { isChatDbError } from '../../../src/errors.js'
import {
  fnv1a,
  roomKey,
  roomListingPartition,
  roomListingShard,
  roomListingShardOf,
} from '../../../src/keys.js'
import { parseAction } from '../../../src/protocol/actions.js'
import { fitRoomListFrame, frameBytes } from '../../../src/protocol/fitFrame.js'
import {
  compareRooms,
  decodeRoomCursor,
  encodeRoomCursor,
  mergeShardReads,
  type ShardRead,
} from '../../../src/repository/roomListing.js'
import type { ActiveRoom } from '../../../src/repository/types.js'

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return isChatDbError(error) ? error.code : 'not a ChatDbError'
  }
  return undefined
}

/** `count` rooms spread over `shards` by the real hash, in creation order. */
function roomsOver(count: number, shards: number) {
  const rooms: ActiveRoom[] = Array.from({ length: count }, (_, i) => ({
    roomName: `room-${i}`,
    createdAt: 1_000 + Math.floor(i / 3), // three rooms per millisecond: ties broken by name
  })).sort(compareRooms)
  const byShard = Array.from({ length: shards }, (_, shard) =>
    rooms.filter((room) => roomListingShard(room.roomName, shards) === shard),
  )
  return { rooms, byShard }
}

/** Pages through `byShard` as the repository does (Limit = limit + 1 per shard) and collects every page. */
function pageThrough(
  byShard: ActiveRoom[][],
  shards: number,
  limit: number,
  take?: (page: ActiveRoom[]) => number,
) {
  const seen: ActiveRoom[] = []
  let cursor: string | undefined
  let pagesRead = 0
  do {
    const positions = cursor
      ? decodeRoomCursor(cursor, shards)
      : byShard.map((_, shard) => ({ shard }) as { shard: number; after?: ActiveRoom })
    const reads: ShardRead[] = positions.map((position) => {
      const all = byShard[position.shard] ?? []
      const after = position.after
      const rest = after ? all.filter((room) => compareRooms(room, after) > 0) : all
      return { position, rooms: rest.slice(0, limit + 1), truncated: false }
    })
    const page = mergeShardReads(reads, limit, shards)
    const sent = take ? take(page.rooms) : page.rooms.length
    seen.push(...page.rooms.slice(0, sent))
    cursor = sent === page.rooms.length ? page.nextCursor : page.cursorAfter(sent)
    pagesRead++
  } while (cursor !== undefined && pagesRead < 1_000)
  return { seen, pagesRead }
}

describe('room listing shards (keys)', () => {
  it('hashes with 32-bit FNV-1a of the UTF-8 bytes', () => {
    // Reference values of FNV-1a 32: "" and "a" (from the algorithm's published test vectors).
    expect(fnv1a('')).toBe(0x811c9dc5)
    expect(fnv1a('a')).toBe(0xe40c292c)
    expect(fnv1a('foobar')).toBe(0xbf9cf968)
  })

  it('puts every room in shard 0, the Room partition, with one shard', () => {
    expect(roomKey({ roomName: 'general', active: true, createdAt: 0 }, 1).pk).toBe('Room')
    expect(roomListingShard('anything', 1)).toBe(0)
  })

  it('spreads names over every shard and names shard k > 0 Room|k', () => {
    const shards = new Set(Array.from({ length: 200 }, (_, i) => roomListingShard(`r${i}`, 4)))
    expect([...shards].sort()).toEqual([0, 1, 2, 3])
    const name = Array.from({ length: 50 }, (_, i) => `r${i}`).find(
      (n) => roomListingShard(n, 4) === 3,
    ) as string
    expect(roomKey({ roomName: name, active: false, createdAt: 0 }, 4).pk).toBe('Room|3')
    expect(roomListingPartition(0)).toBe('Room')
    expect(roomListingShardOf('Room|3')).toBe(3)
    expect(roomListingShardOf('Room')).toBe(0)
    expect(roomListingShardOf('Room|03')).toBeUndefined()
    expect(roomListingShardOf('Subscription|Room')).toBeUndefined()
  })

  it('refuses a shard count that is not a whole number from 1 to 64', () => {
    for (const bad of [0, -1, 1.5, 65, Number.NaN, '4'])
      expect(codeOf(() => checkOption('roomListingShards', bad))).toBe('validation.option')
    expect(checkOption('roomListingShards', 64)).toBe(64)
  })

  it('reads the shard count and the cache TTL from the environment', () => {
    const listingFromEnv = (env: Record<string, string | undefined>) =>
      fromEnvironment(env, ['roomListingShards', 'roomListCacheMs'])
    expect(listingFromEnv({})).toEqual({})
    expect(listingFromEnv({ CHATDB_ROOM_LISTING_SHARDS: '8', CHATDB_ROOM_LIST_CACHE_MS: '500' })).toEqual({
      roomListingShards: 8,
      roomListCacheMs: 500,
    })
    for (const env of [
      { CHATDB_ROOM_LISTING_SHARDS: 'four' },
      { CHATDB_ROOM_LISTING_SHARDS: '0' },
      { CHATDB_ROOM_LISTING_SHARDS: '1e1' },
      { CHATDB_ROOM_LIST_CACHE_MS: '-5' },
      { CHATDB_ROOM_LIST_CACHE_MS: '1.5' },
    ])
      expect(codeOf(() => listingFromEnv(env))).toBe('validation.option')
  })
})

describe('mergeShardReads', () => {
  it('answers a page in creation order across shards, ties broken by name', () => {
    const { rooms, byShard } = roomsOver(40, 4)
    const reads = byShard.map((shardRooms, shard) => ({
      position: { shard },
      rooms: shardRooms,
      truncated: false,
    }))
    const page = mergeShardReads(reads, 1_000, 4)
    expect(page.rooms).toEqual(rooms)
    expect(page.nextCursor).toBeUndefined()
  })

  it('pages through every room exactly once, in order, for any page size', () => {
    const { rooms, byShard } = roomsOver(250, 4)
    for (const limit of [1, 7, 64, 249, 250, 1_000]) {
      const { seen, pagesRead } = pageThrough(byShard, 4, limit)
      expect(seen).toEqual(rooms)
      expect(pagesRead).toBe(Math.max(1, Math.ceil(250 / limit)))
    }
  })

  it('loses no room when each page is cut short (a frame that fits fewer) and resumed from cursorAfter', () => {
    const { rooms, byShard } = roomsOver(250, 4)
    const { seen } = pageThrough(byShard, 4, 20, (page) => Math.max(1, Math.floor(page.length / 3)))
    expect(seen).toEqual(rooms)
  })

  it('stops at a shard DynamoDB cut short once its answered rooms are used up', () => {
    const a: ActiveRoom[] = [{ roomName: 'a', createdAt: 1 }]
    const b: ActiveRoom[] = [
      { roomName: 'b', createdAt: 2 },
      { roomName: 'c', createdAt: 3 },
    ]
    const page = mergeShardReads(
      [
        { position: { shard: 0 }, rooms: a, truncated: true },
        { position: { shard: 1 }, rooms: b, truncated: false },
      ],
      10,
      2,
    )
    // Shard 0's next room may come before "b": the page ends after "a".
    expect(page.rooms).toEqual(a)
    expect(decodeRoomCursor(page.nextCursor as string, 2)).toEqual([
      { shard: 0, after: { roomName: 'a', createdAt: 1 } },
      { shard: 1 },
    ])
  })
})

describe('mergeShardReads past records a shard does not own', () => {
  it('goes on after the last record read, not the last room kept, so a page of left-out records ends', () => {
    const kept: ActiveRoom = { roomName: 'kept', createdAt: 1 }
    const leftOut: ActiveRoom = { roomName: 'left-out', createdAt: 2 }
    const page = mergeShardReads(
      [{ position: { shard: 1 }, rooms: [kept], truncated: true, last: leftOut }],
      5,
      4,
    )
    expect(page.rooms).toEqual([kept])
    expect(decodeRoomCursor(page.nextCursor as string, 4)).toEqual([{ shard: 1, after: leftOut }])
    // A page that kept nothing still moves on.
    const empty = mergeShardReads(
      [{ position: { shard: 1, after: leftOut }, rooms: [], truncated: true, last: kept }],
      5,
      4,
    )
    expect(decodeRoomCursor(empty.nextCursor as string, 4)).toEqual([{ shard: 1, after: kept }])
  })
})

describe('room cursors', () => {
  const name = (shard: number, shards: number) =>
    Array.from({ length: 100 }, (_, i) => `n${i}`).find(
      (n) => roomListingShard(n, shards) === shard,
    ) as string

  it('round-trips the shards still to read', () => {
    const positions = [{ shard: 1, after: { roomName: name(1, 4), createdAt: 5 } }, { shard: 3 }]
    expect(decodeRoomCursor(encodeRoomCursor(positions, 4), 4)).toEqual(positions)
  })

  it('refuses a tampered, truncated or foreign cursor with validation.cursor', () => {
    const good = encodeRoomCursor([{ shard: 1, after: { roomName: name(1, 4), createdAt: 5 } }], 4)
    const forge = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const bad = [
      good.slice(0, -3),
      `${good}!`,
      'not a cursor',
      forge({ v: 2, n: 4, s: [[0]] }),
      forge({ v: 1, n: 2, s: [[0]] }), // made for another shard count
      forge({ v: 1, n: 4, s: [] }),
      forge({ v: 1, n: 4, s: [[4]] }),
      forge({ v: 1, n: 4, s: [[2], [1]] }),
      forge({ v: 1, n: 4, s: [[1, -1, name(1, 4)]] }),
      forge({ v: 1, n: 4, s: [[1, 5, 'a|b']] }),
      forge([1, 2, 3]),
    ]
    for (const cursor of bad)
      expect({ cursor, code: codeOf(() => decodeRoomCursor(cursor, 4)) }).toEqual({
        cursor,
        code: 'validation.cursor',
      })
  })
})

describe('fitRoomListFrame with a cursor', () => {
  it('points nextCursor right after the last room a trimmed page sent', () => {
    const rooms: ActiveRoom[] = Array.from({ length: 1_000 }, (_, i) => ({
      roomName: `${String(i).padStart(4, '0')}-${'x'.repeat(95)}`,
      createdAt: 1_700_000_000_000 + i,
    }))
    const read: ShardRead = {
      position: { shard: 0 },
      rooms: [...rooms, { roomName: 'later', createdAt: 2e12 }],
      truncated: false,
    }
    const page = mergeShardReads([read], 1_000, 1)
    const frame = fitRoomListFrame(
      { type: 'roomList', rooms: page.rooms, nextCursor: page.nextCursor as string },
      undefined,
      page.cursorAfter,
    )
    expect(frameBytes(frame)).toBeLessThanOrEqual(128 * 1024)
    expect(frame.truncated).toBeUndefined()
    const sent = frame.rooms.length
    expect(sent).toBeGreaterThan(800)
    expect(sent).toBeLessThan(1_000)
    const [position] = decodeRoomCursor(frame.nextCursor as string, 1)
    expect(position?.after).toEqual(rooms[sent - 1])
    // Maximal: one room more would not fit.
    const oneMore = {
      ...frame,
      rooms: page.rooms.slice(0, sent + 1),
      nextCursor: page.cursorAfter(sent + 1) as string,
    }
    expect(frameBytes(oneMore)).toBeGreaterThan(128 * 1024)
  })

  it('leaves a page that fits as it is', () => {
    const rooms = [{ roomName: 'general', createdAt: 1 }]
    const page = mergeShardReads([{ position: { shard: 0 }, rooms, truncated: false }], 10, 1)
    expect(fitRoomListFrame({ type: 'roomList', rooms: page.rooms }, undefined, page.cursorAfter)).toEqual({
      type: 'roomList',
      rooms,
    })
  })
})

describe('listRooms frames', () => {
  it('take an optional limit and cursor, and nothing else', () => {
    expect(parseAction('{"action":"listRooms","limit":7,"cursor":"abc"}')).toEqual({
      ok: true,
      action: { action: 'listRooms', limit: 7, cursor: 'abc' },
    })
    expect(parseAction('{"action":"listRooms","limit":1000}')).toEqual({
      ok: true,
      action: { action: 'listRooms', limit: 1000 },
    })
    expect(parseAction('{"action":"listRooms","page":2}')).toMatchObject({
      ok: false,
      message: expect.stringContaining('"listRooms" takes action, limit, cursor'),
    })
  })
})
