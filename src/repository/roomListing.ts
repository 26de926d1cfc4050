import { ChatDbError } from '../errors.js'
import { DEFAULT_ROOM_LISTING_SHARDS, roomListingPartition, roomSortKey } from '../keys.js'
import { assertRoomName, MAX_ROOM_CURSOR_CHARS, MAX_ROOM_PAGE_SIZE } from '../validation.js'
import type { ActiveRoom } from './types.js'

/** Rooms a listing page holds when the caller names no limit (at most `MAX_ROOM_PAGE_SIZE`). */
export const DEFAULT_ROOM_PAGE_SIZE = 1_000
const CURSOR_VERSION = 1

/** One page of the active rooms, in creation order. */
export interface ActiveRoomsPage {
  rooms: ActiveRoom[]
  /** Where the next page starts; absent when no active room is left after this page. */
  nextCursor?: string
  /**
   * The cursor of the page that starts right after `rooms[count - 1]` (the first `count` rooms
   * sent, e.g. when a frame only fits that many), or undefined when nothing is left after them.
   */
  cursorAfter(count: number): string | undefined
}

/** Where one shard's reading goes on: after the record of this room, or from the start. */
export interface ShardPosition {
  shard: number
  after?: ActiveRoom
}

/** What the Query of one shard answered. */
export interface ShardRead {
  position: ShardPosition
  /** The shard's active rooms, in order: the records that belong to the shard. */
  rooms: ActiveRoom[]
  /** DynamoDB answered a LastEvaluatedKey: the shard may hold more after `last`. */
  truncated: boolean
  /**
   * The last record the Query read, kept or not (default: the last of `rooms`): a shard whose
   * kept rooms are all used goes on after it, past records that were left out.
   */
  last?: ActiveRoom
}

/** A page size a caller asked for: a whole number from 1 to {@link MAX_ROOM_PAGE_SIZE}. */
export function assertRoomPageLimit(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_ROOM_PAGE_SIZE) {
    throw new ChatDbError(
      'validation.limit',
      `limit must be a whole number from 1 to ${MAX_ROOM_PAGE_SIZE} (got ${JSON.stringify(value)})`,
    )
  }
  return value
}

/**
 * Creation order, the order of the listing's sort keys within a shard: `createdAt`, then the
 * name compared as DynamoDB compares strings (UTF-8 bytes, which differs from JavaScript's
 * UTF-16 comparison for characters beyond U+FFFF).
 */
export function compareRooms(a: ActiveRoom, b: ActiveRoom): number {
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt
  return Buffer.compare(Buffer.from(a.roomName, 'utf8'), Buffer.from(b.roomName, 'utf8'))
}

/** The Query key to resume a shard after `room` (an ExclusiveStartKey needs only the table's keys). */
export function listingStartKey(shard: number, room: ActiveRoom): { pk: string; sk: string } {
  return { pk: roomListingPartition(shard), sk: roomSortKey({ ...room, active: true }) }
}

/** Where a listing starts: every shard from its beginning, or where `cursor` says. */
export function startPositions(shards: number, cursor: string | undefined): ShardPosition[] {
  if (cursor === undefined) return Array.from({ length: shards }, (_, shard) => ({ shard }))
  return decodeRoomCursor(cursor, shards)
}

/**
 * Merges what each shard answered into one page of at most `limit` rooms in creation order.
 * Each shard's rooms are in that order already; a k-way merge takes from the shard whose next
 * room comes first, so what it takes of a shard is always a prefix of what that shard answered.
 * A shard DynamoDB cut short stops the merge once its rooms are used up: its next room is
 * unknown and may come before every other shard's.
 */
export function mergeShardReads(reads: readonly ShardRead[], limit: number, shards: number): ActiveRoomsPage {
  const taken: { room: ActiveRoom; read: number }[] = []
  const next = reads.map(() => 0)
  while (taken.length < limit) {
    let best: number | undefined
    let blocked = false
    for (let i = 0; i < reads.length; i++) {
      const read = reads[i] as ShardRead
      const room = read.rooms[next[i] as number]
      if (!room) {
        blocked ||= read.truncated
        continue
      }
      if (
        best === undefined ||
        compareRooms(room, reads[best]?.rooms[next[best] as number] as ActiveRoom) < 0
      )
        best = i
    }
    // A cut-short shard whose answered rooms are all taken: its next room is unknown and could
    // come before any other shard's, so the page ends here (the cursor resumes it).
    if (best === undefined || blocked) break
    taken.push({ room: (reads[best] as ShardRead).rooms[next[best] as number] as ActiveRoom, read: best })
    next[best] = (next[best] as number) + 1
  }

  const cursorAfter = (count: number): string | undefined => {
    const used = reads.map(() => 0)
    const last: (ActiveRoom | undefined)[] = reads.map(() => undefined)
    for (const { room, read } of taken.slice(0, Math.max(0, Math.min(count, taken.length)))) {
      used[read] = (used[read] as number) + 1
      last[read] = room
    }
    const positions: ShardPosition[] = []
    reads.forEach((read, i) => {
      const allUsed = (used[i] as number) === read.rooms.length
      if (allUsed && !read.truncated) return
      const after = (allUsed ? (read.last ?? last[i]) : last[i]) ?? read.position.after
      positions.push(after ? { shard: read.position.shard, after } : { shard: read.position.shard })
    })
    return positions.length > 0 ? encodeRoomCursor(positions, shards) : undefined
  }
  const rooms = taken.map(({ room }) => room)
  const nextCursor = cursorAfter(rooms.length)
  return nextCursor === undefined ? { rooms, cursorAfter } : { rooms, nextCursor, cursorAfter }
}

/**
 * A cursor: base64url of `{"v":1,"n":<shards>,"s":[[shard, createdAt, roomName] | [shard], …]}`,
 * the shards still to read, each with the last room read there. Opaque to clients.
 */
export function encodeRoomCursor(positions: readonly ShardPosition[], shards: number): string {
  const s = positions.map(({ shard, after }) => (after ? [shard, after.createdAt, after.roomName] : [shard]))
  return Buffer.from(JSON.stringify({ v: CURSOR_VERSION, n: shards, s }), 'utf8').toString('base64url')
}

function badCursor(why: string): ChatDbError {
  return new ChatDbError(
    'validation.cursor',
    `cursor is not one this listing gave out (${why}); list again without it`,
  )
}

/**
 * Reads a cursor back, checking everything it says: a tampered, truncated or foreign cursor
 * (another version or shard count, shards out of range, a malformed room name or time) is a
 * `validation.cursor` error. The room a shard resumes after may be one the shard does not own
 * (a record left there by an earlier shard count, skipped but read past), so that is not checked;
 * a forged position can only start the listing at another point of the caller's own listing.
 */
export function decodeRoomCursor(
  cursor: string,
  shards: number = DEFAULT_ROOM_LISTING_SHARDS,
): ShardPosition[] {
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > MAX_ROOM_CURSOR_CHARS)
    throw badCursor(`a cursor is a string of 1 to ${MAX_ROOM_CURSOR_CHARS} characters`)
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw badCursor('not base64url')
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    throw badCursor('not JSON')
  }
  if (typeof parsed !== 'object' || parsed === null) throw badCursor('not an object')
  const { v, n, s } = parsed as { v?: unknown; n?: unknown; s?: unknown }
  if (v !== CURSOR_VERSION) throw badCursor(`unknown version ${JSON.stringify(v)}`)
  if (n !== shards) throw badCursor(`made for ${JSON.stringify(n)} listing shard(s), the table has ${shards}`)
  if (!Array.isArray(s) || s.length === 0 || s.length > shards) throw badCursor('no shard list')
  const positions: ShardPosition[] = []
  let previous = -1
  for (const entry of s) {
    if (!Array.isArray(entry) || (entry.length !== 1 && entry.length !== 3))
      throw badCursor('malformed shard entry')
    const [shard, createdAt, roomName] = entry as unknown[]
    if (typeof shard !== 'number' || !Number.isInteger(shard) || shard <= previous || shard >= shards)
      throw badCursor('shards out of order or range')
    previous = shard
    if (entry.length === 1) {
      positions.push({ shard })
      continue
    }
    if (
      typeof createdAt !== 'number' ||
      !Number.isSafeInteger(createdAt) ||
      createdAt < 0 ||
      createdAt > 8.64e15
    )
      throw badCursor('malformed creation time')
    let name: string
    try {
      name = assertRoomName(roomName)
    } catch {
      throw badCursor('malformed room name')
    }
    positions.push({ shard, after: { roomName: name, createdAt } })
  }
  return positions
}
