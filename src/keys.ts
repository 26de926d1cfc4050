/**
 * Every key of the table is built here and nowhere else (the entities' `computeKey` call these).
 *
 * | item          | pk                      | sk                                   | data (GSI pk) |
 * |---------------|-------------------------|--------------------------------------|---------------|
 * | Room          | `Room` or `Room|<shard>`| `<true|false>|<created ISO>|<room>`  | room name     |
 * | RoomState     | `Subscription|<room>`   | `#room`                              | —             |
 * | Subscription  | `Subscription|<room>`   | `<room>|<connection id>`             | connection id |
 * | (large room)  | `Subscription|<room>|<k>` | `<room>|<connection id>`           | connection id |
 * | Departure     | `Subscription|<room>`   | `<room>|<connection id>` (the same)  | connection id |
 * | PresenceOutbox| `Subscription|<room>`   | `#leaving`                           | —             |
 * | SubscriberCount | `Subscription|<room>` or `…|<k>` (large rooms) | `#count`              | —             |
 * | Message       | `Message|<room>`        | `<room>|<ISO time>|<message id>`     | user name (`<user>|<k>` in write shard k > 0) |
 * | MigrationLedger | `Migration`           | `version|<6-digit version>`          | —             |
 * | MigrationLock | `Migration`             | `#lock`                              | —             |
 *
 * Names never contain `|` (validation rejects it), so every prefix below is unambiguous.
 */
import { ChatDbError } from './errors.js'

export const DELIMITER = '|'
export const ROOM_PARTITION = 'Room'
export const ROOM_STATE_SORT_KEY = '#room'
/** The sort key of a room's presence outbox (the departures of a `$disconnect` burst). */
export const PRESENCE_OUTBOX_SORT_KEY = '#leaving'
/** The sort key of the subscriber counter in each partition of a large room. */
export const SUBSCRIBER_COUNT_SORT_KEY = '#count'

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

/** The room of a base subscription partition (`Subscription|<room>` → `<room>`). */
export function roomOfSubscriptionPartition(pk: string): string {
  return pk.slice(subscriptionPartition('').length)
}

/**
 * The shard that stands for a large room's base partition `Subscription|<room>`: the members it
 * had before it became large stay there and are read as one more shard.
 */
export const BASE_SUBSCRIPTION_SHARD = -1
/** The most subscription shards a large room may have (a fan-out job per shard, plus the base). */
export const MAX_SUBSCRIPTION_SHARDS = 1_024

/**
 * The partition of subscription shard `shard` of a large room: `Subscription|<room>|<k>` for
 * k = 0..S-1, and the room's base partition `Subscription|<room>` for
 * {@link BASE_SUBSCRIPTION_SHARD}. No name holds `|`, so no shard key equals another room's.
 *
 * @example
 * subscriptionShardPartition('lobby', 3) // 'Subscription|lobby|3'
 * subscriptionShardPartition('lobby', BASE_SUBSCRIPTION_SHARD) // 'Subscription|lobby'
 */
export function subscriptionShardPartition(roomName: string, shard: number): string {
  if (shard === BASE_SUBSCRIPTION_SHARD) return subscriptionPartition(roomName)
  if (!Number.isInteger(shard) || shard < 0 || shard >= MAX_SUBSCRIPTION_SHARDS) {
    throw new ChatDbError(
      'validation.option',
      `a subscription shard is a whole number 0–${MAX_SUBSCRIPTION_SHARDS - 1} or ${BASE_SUBSCRIPTION_SHARD} (got ${shard})`,
    )
  }
  return `${subscriptionPartition(roomName)}${DELIMITER}${shard}`
}

/**
 * The shard of a large room's `shards` that a connection's subscription lives in: FNV-1a of the
 * connection id (as {@link roomListingShard} hashes a room name), modulo `shards`. Stable, so
 * a membership check is one GetItem on a key computed anywhere; uniform over API Gateway's
 * random connection ids, so shards fill evenly.
 *
 * @example
 * subscriptionShardOf('Xk3a9cD1oAMCJzQ=', 64) // the same number 0–63 in every process
 */
export function subscriptionShardOf(connectionId: string, shards: number): number {
  if (!Number.isInteger(shards) || shards < 1 || shards > MAX_SUBSCRIPTION_SHARDS) {
    throw new ChatDbError(
      'validation.option',
      `a large room has 1–${MAX_SUBSCRIPTION_SHARDS} subscription shards (got ${shards})`,
    )
  }
  return fnv1a(connectionId) % shards
}

/**
 * The key of a large room's subscription of `connectionId` in shard `shard` (the sort key is the
 * one a small room's subscription has; only the partition differs).
 */
export function shardSubscriptionKey(roomName: string, connectionId: string, shard: number) {
  return { pk: subscriptionShardPartition(roomName, shard), sk: `${roomName}${DELIMITER}${connectionId}` }
}

/** The subscriber counter of one partition of a large room (shard k, or the base partition). */
export function subscriberCountKey(roomName: string, shard: number) {
  return { pk: subscriptionShardPartition(roomName, shard), sk: SUBSCRIBER_COUNT_SORT_KEY }
}

/**
 * The shard a subscription partition key stands for: k for `Subscription|<room>|<k>`,
 * {@link BASE_SUBSCRIPTION_SHARD} for `Subscription|<room>`, undefined for any other key.
 */
export function subscriptionShardOfPartition(pk: string, roomName: string): number | undefined {
  const base = subscriptionPartition(roomName)
  if (pk === base) return BASE_SUBSCRIPTION_SHARD
  if (!pk.startsWith(`${base}${DELIMITER}`)) return undefined
  const rest = pk.slice(base.length + 1)
  return /^(0|[1-9][0-9]*)$/.test(rest) ? Number(rest) : undefined
}

export function roomStateKey(roomName: string) {
  return { pk: subscriptionPartition(roomName), sk: ROOM_STATE_SORT_KEY }
}

export function presenceOutboxKey(roomName: string) {
  return { pk: subscriptionPartition(roomName), sk: PRESENCE_OUTBOX_SORT_KEY }
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

/** The migrator's partition (ledger and lock): apart from every chat item (no chat key starts with it). */
export const MIGRATION_PARTITION = 'Migration'
export const LEDGER_SORT_PREFIX = 'version|'
/** The sort key of the migration lock, beside the ledger. */
export const LOCK_SORT_KEY = '#lock'

/** `version|000042`: zero-padded so the partition lists versions in order. */
export function ledgerSortKey(version: number): string {
  return `${LEDGER_SORT_PREFIX}${String(version).padStart(6, '0')}`
}

export function ledgerKey(version: number) {
  return { pk: MIGRATION_PARTITION, sk: ledgerSortKey(version) }
}

export function migrationLockKey() {
  return { pk: MIGRATION_PARTITION, sk: LOCK_SORT_KEY }
}
