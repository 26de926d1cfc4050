/**
 * Every key of the table is built here and nowhere else (the entities' `computeKey` call these).
 *
 * | item          | pk                      | sk                                   | data (GSI pk) |
 * |---------------|-------------------------|--------------------------------------|---------------|
 * | Room          | `Room` or `Room|<shard>`| `<true|false>|<created ISO>|<room>`  | room name     |
 * | RoomState     | `Subscription|<room>`   | `#room`                              | —             |
 * | Subscription  | `Subscription|<room>`   | `<room>|<connection id>`             | connection id |
 * | Departure     | `Subscription|<room>`   | `<room>|<connection id>` (the same)  | connection id |
 * | Message       | `Message|<room>`        | `<room>|<ISO time>|<message id>`     | user name     |
 *
 * Names never contain `|` (validation rejects it), so every prefix below is unambiguous.
 */
export const DELIMITER = '|'
export const ROOM_PARTITION = 'Room'
export const ROOM_STATE_SORT_KEY = '#room'

/** Timestamps in sort keys are ISO-8601 UTC with milliseconds: they sort as text. */
export function sortableTime(epochMs: number): string {
  return new Date(epochMs).toISOString()
}

export function roomSortKeyPrefix(active: boolean): string {
  return `${active}${DELIMITER}`
}

/** `roomListingShards` when none is configured: every listing record in the one `Room` partition. */
export const DEFAULT_ROOM_LISTING_SHARDS = 1
/** The most listing shards a deployment may have: a page reads one Query per shard. */
export const MAX_ROOM_LISTING_SHARDS = 64

/**
 * 32-bit FNV-1a of the UTF-8 bytes of `text`: a stable hash (the same in every process and
 * release), so a room's listing shard never depends on where it is computed.
 */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash
}

/** The listing shard of a room among `shards`: FNV-1a of its name, modulo the shard count. */
export function roomListingShard(roomName: string, shards: number = DEFAULT_ROOM_LISTING_SHARDS): number {
  return shards <= 1 ? 0 : fnv1a(roomName) % shards
}

/**
 * The partition of listing shard `shard`: shard 0 is `Room` (so one shard is the original
 * layout), shard k > 0 is `Room|<k>` (no room name holds `|`, so no other key looks like it).
 */
export function roomListingPartition(shard: number): string {
  return shard === 0 ? ROOM_PARTITION : `${ROOM_PARTITION}${DELIMITER}${shard}`
}

/** The shard a listing partition key stands for, or undefined when `pk` is none. */
export function roomListingShardOf(pk: string): number | undefined {
  if (pk === ROOM_PARTITION) return 0
  const match = /^Room\|([1-9][0-9]*)$/.exec(pk)
  return match ? Number(match[1]) : undefined
}

/** The sort key of a room's listing record (the same in every shard). */
export function roomSortKey(room: { roomName: string; active: boolean; createdAt: number }): string {
  return `${roomSortKeyPrefix(room.active)}${sortableTime(room.createdAt)}${DELIMITER}${room.roomName}`
}

export function roomKey(
  room: { roomName: string; active: boolean; createdAt: number },
  shards: number = DEFAULT_ROOM_LISTING_SHARDS,
) {
  return {
    pk: roomListingPartition(roomListingShard(room.roomName, shards)),
    sk: roomSortKey(room),
  }
}

export function subscriptionPartition(roomName: string): string {
  return `Subscription${DELIMITER}${roomName}`
}

export function roomStateKey(roomName: string) {
  return { pk: subscriptionPartition(roomName), sk: ROOM_STATE_SORT_KEY }
}

export function subscriptionKey(roomName: string, connectionId: string) {
  return { pk: subscriptionPartition(roomName), sk: `${roomName}${DELIMITER}${connectionId}` }
}

export function messagePartition(roomName: string): string {
  return `Message${DELIMITER}${roomName}`
}

export function messageKey(message: { roomName: string; time: number; id: string }) {
  return {
    pk: messagePartition(message.roomName),
    sk: `${message.roomName}${DELIMITER}${sortableTime(message.time)}${DELIMITER}${message.id}`,
  }
}
