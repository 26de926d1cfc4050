/**
 * Every key of the table is built here and nowhere else (the entities' `computeKey` call these).
 *
 * | item          | pk                      | sk                                   | data (GSI pk) |
 * |---------------|-------------------------|--------------------------------------|---------------|
 * | Room          | `Room`                  | `<true|false>|<created ISO>|<room>`  | room name     |
 * | RoomState     | `Subscription|<room>`   | `#room`                              | —             |
 * | Subscription  | `Subscription|<room>`   | `<room>|<connection id>`             | connection id |
 * | Departure     | `Subscription|<room>`   | `<room>|<connection id>` (the same)  | connection id |
 * | Message       | `Message|<room>`        | `<room>|<ISO time>|<message id>`     | user name (`<user>|<k>` in write shard k > 0) |
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

export function roomKey(room: { roomName: string; active: boolean; createdAt: number }) {
  return {
    pk: ROOM_PARTITION,
    sk: `${roomSortKeyPrefix(room.active)}${sortableTime(room.createdAt)}${DELIMITER}${room.roomName}`,
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

/**
 * Message `data` (the GSI partition of a user's history) for write shard `shard`: shard 0 is the
 * plain user name — exactly the layout before sharding — and shard k > 0 is `<userName>|<k>`.
 * Names never contain `|`, so no sharded key equals a room name, a connection id or another user.
 *
 * @example
 * userHistoryKey('guest', 0) // 'guest'
 * userHistoryKey('guest', 3) // 'guest|3'
 */
export function userHistoryKey(userName: string, shard: number): string {
  return shard === 0 ? userName : `${userName}${DELIMITER}${shard}`
}

/**
 * The write shard of a message: a stable hash (32-bit FNV-1a over the id's UTF-16 code units) of
 * its id, mod `shards`. Stable, so a retried post of the same id lands on the same key; uniform
 * over random ids, so one name's messages spread evenly over its shards.
 *
 * @example
 * userHistoryShard('0f9c…', 1) // 0: one shard is today's layout
 */
export function userHistoryShard(messageId: string, shards: number): number {
  if (shards <= 1) return 0
  let hash = 0x811c9dc5
  for (let i = 0; i < messageId.length; i++) {
    hash ^= messageId.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash % shards
}

/**
 * The user name a message's `data` holds, without its shard suffix (`guest|3` → `guest`).
 *
 * @example
 * userNameOfHistoryKey('guest|3') // 'guest'
 */
export function userNameOfHistoryKey(data: string): string {
  const at = data.indexOf(DELIMITER)
  return at === -1 ? data : data.slice(0, at)
}
