import { ChatDbError } from '../errors.js'
import { MAX_SUBSCRIPTION_SHARDS } from '../keys.js'

/** Subscribers at which a room becomes large when no threshold is configured. */
export const DEFAULT_LARGE_ROOM_THRESHOLD = 1_000
/**
 * Subscription shards a room gets when it becomes large: at 100,000 members a shard holds
 * ~1,560 subscriptions, one ~250 KB page, and a broadcast is 65 fan-out jobs (the shards and
 * the base partition).
 */
export const DEFAULT_LARGE_ROOM_SHARDS = 64

/** A threshold: a whole number ≥ 2 (a room of one member is never large), or `Infinity` (never). */
export function assertLargeRoomThreshold(value: unknown, source = 'largeRoomThreshold'): number {
  if (
    value !== Number.POSITIVE_INFINITY &&
    (typeof value !== 'number' || !Number.isInteger(value) || value < 2)
  ) {
    throw new ChatDbError(
      'validation.option',
      `${source} must be a whole number ≥ 2 or Infinity (got ${JSON.stringify(value)})`,
    )
  }
  return value as number
}

/** Shards of a large room: a whole number from 1 to {@link MAX_SUBSCRIPTION_SHARDS}. */
export function assertLargeRoomShards(value: unknown, source = 'largeRoomShards'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_SUBSCRIPTION_SHARDS) {
    throw new ChatDbError(
      'validation.option',
      `${source} must be a whole number from 1 to ${MAX_SUBSCRIPTION_SHARDS} (got ${JSON.stringify(value)})`,
    )
  }
  return value
}

/**
 * `largeRoomThreshold` and `largeRoomShards` from the environment (`CHATDB_LARGE_ROOM_THRESHOLD`,
 * `CHATDB_LARGE_ROOM_SHARDS`), undefined where unset; `Infinity` or `off` turns large rooms off.
 * A malformed value is a `validation.option`.
 *
 * @example
 * createChatRepository({ documentClient, ...largeRoomOptionsFromEnv(process.env) })
 */
export function largeRoomOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): {
  largeRoomThreshold?: number
  largeRoomShards?: number
} {
  const options: { largeRoomThreshold?: number; largeRoomShards?: number } = {}
  const threshold = env.CHATDB_LARGE_ROOM_THRESHOLD?.trim()
  if (threshold !== undefined && threshold !== '') {
    options.largeRoomThreshold = assertLargeRoomThreshold(
      /^(infinity|off)$/i.test(threshold)
        ? Number.POSITIVE_INFINITY
        : /^\d+$/.test(threshold)
          ? Number(threshold)
          : threshold,
      'CHATDB_LARGE_ROOM_THRESHOLD',
    )
  }
  const shards = env.CHATDB_LARGE_ROOM_SHARDS?.trim()
  if (shards !== undefined && shards !== '') {
    options.largeRoomShards = assertLargeRoomShards(
      /^\d+$/.test(shards) ? Number(shards) : shards,
      'CHATDB_LARGE_ROOM_SHARDS',
    )
  }
  return options
}
