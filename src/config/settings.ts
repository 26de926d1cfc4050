import { ChatDbError } from '../errors.js'
import { DEFAULT_ROOM_LISTING_SHARDS, MAX_ROOM_LISTING_SHARDS, MAX_SUBSCRIPTION_SHARDS } from '../keys.js'
import { decimal, httpUrl, type Rule, text, whole } from './rules.js'

/**
 * Posts in flight at once per broadcast unless `concurrency` says otherwise: enough to keep one
 * vCPU busy (~0.35 ms of client CPU per post, ~2,800 posts/s) while `@connections` answers in up
 * to ~45 ms (128 ÷ 45 ms); a smaller function is CPU bound whatever the number, and its extra
 * posts only wait in the function (docs/operations.md, "Broadcast throughput"). The old 16
 * allowed about 530 posts/s at 30 ms.
 */
export const DEFAULT_POST_CONCURRENCY = 128

/**
 * One setting, said once: what it accepts, its default, its unit, and every name it goes by —
 * the library option (the key in {@link SETTINGS}), the variable the Lambda handlers read and the
 * flag `chatdb serve`/`dev`/`migrate` take.
 */
export interface Setting<T> {
  readonly rule: Rule<T>
  /** The variable the router and the fan-out worker read (docs/operations.md). */
  readonly env?: string
  /** The CLI flag, without its dashes. */
  readonly flag?: string
  /** The value when nothing sets it; absent where the caller picks it (a Lambda's timeouts). */
  readonly default?: T
  readonly unit?: string
  /** The default as the flag spells it, for hints (`10m`), where `String(default)` would not do. */
  readonly example?: string
}

// Keeps each entry's own type, so a setting with a default has a default to its readers.
export const setting = <T, S extends Setting<T>>(value: S & Setting<T>): S => value

/** Most write shards a user name may have: `historyOfUser` sends one Query per shard read. */
export const MAX_USER_HISTORY_SHARDS = 64
/** Subscribers at which a room becomes large when no threshold is configured. */
export const DEFAULT_LARGE_ROOM_THRESHOLD = 1_000
/**
 * Subscription shards a room gets when it becomes large: at 100,000 members a shard holds
 * ~1,560 subscriptions, one ~250 KB page, and a broadcast is 65 fan-out jobs (the shards and
 * the base partition).
 */
export const DEFAULT_LARGE_ROOM_SHARDS = 64

const positiveMs = decimal({ min: 'positive' })
const attempts = whole({ min: 1 })

/**
 * Every setting of the library, the Lambda handlers and the CLI's gateway and migrator: a new
 * setting goes here (docs/architecture.md, "Configuration"), and the adapters —
 * `fromEnvironment`, the CLI's `fromFlags`, {@link checkOption} — read it by the same rule.
 */
export const SETTINGS = {
  tableName: setting({ rule: text(), env: 'CHATDB_TABLE', default: 'chat' }),
  managementEndpoint: setting({ rule: httpUrl(), env: 'CHATDB_MANAGEMENT_ENDPOINT' }),
  queueUrl: setting({ rule: httpUrl(), env: 'CHATDB_FANOUT_QUEUE_URL' }),
  dynamoDbTimeoutMs: setting({ rule: positiveMs, env: 'CHATDB_DYNAMODB_TIMEOUT_MS', unit: 'ms' }),
  dynamoDbMaxAttempts: setting({ rule: attempts, env: 'CHATDB_DYNAMODB_MAX_ATTEMPTS', unit: 'attempts' }),
  managementTimeoutMs: setting({ rule: positiveMs, env: 'CHATDB_MANAGEMENT_TIMEOUT_MS', unit: 'ms' }),
  managementMaxAttempts: setting({ rule: attempts, env: 'CHATDB_MANAGEMENT_MAX_ATTEMPTS', unit: 'attempts' }),
  queueTimeoutMs: setting({ rule: positiveMs, env: 'CHATDB_QUEUE_TIMEOUT_MS', unit: 'ms' }),
  queueMaxAttempts: setting({ rule: attempts, env: 'CHATDB_QUEUE_MAX_ATTEMPTS', unit: 'attempts' }),
  postConcurrency: setting({
    rule: whole({ min: 1 }),
    env: 'CHATDB_BROADCAST_CONCURRENCY',
    flag: 'broadcast-concurrency',
    default: DEFAULT_POST_CONCURRENCY,
    unit: 'posts in flight',
  }),
  managementMaxSockets: setting({
    rule: whole({ min: 1 }),
    env: 'CHATDB_MANAGEMENT_MAX_SOCKETS',
    flag: 'management-max-sockets',
    unit: 'sockets',
  }),
  recentMessagesLimit: setting({
    rule: whole({ min: 1 }),
    env: 'CHATDB_RECENT_MESSAGES',
    default: 50,
    unit: 'messages',
  }),
  messageRetentionDays: setting({
    rule: decimal({ min: 'positive' }),
    env: 'CHATDB_MESSAGE_RETENTION_DAYS',
    flag: 'retention-days',
    unit: 'days',
  }),
  userHistoryShards: setting({
    rule: whole({ min: 1, max: MAX_USER_HISTORY_SHARDS }),
    env: 'CHATDB_USER_HISTORY_SHARDS',
    default: 1,
    unit: 'shards',
  }),
  userHistoryReadShards: setting({
    rule: whole({ min: 1, max: MAX_USER_HISTORY_SHARDS }),
    env: 'CHATDB_USER_HISTORY_READ_SHARDS',
    unit: 'shards',
  }),
  roomListingShards: setting({
    rule: whole({ min: 1, max: MAX_ROOM_LISTING_SHARDS }),
    env: 'CHATDB_ROOM_LISTING_SHARDS',
    default: DEFAULT_ROOM_LISTING_SHARDS,
    unit: 'shards',
  }),
  roomListCacheMs: setting({
    rule: whole({ min: 0 }),
    env: 'CHATDB_ROOM_LIST_CACHE_MS',
    default: 0,
    unit: 'ms',
  }),
  coalesceFrom: setting({
    rule: whole({ min: 1, off: 'off or Infinity' }),
    env: 'CHATDB_DISCONNECT_COALESCE_FROM',
    default: 100,
    unit: 'items',
  }),
  coalesceWindowMs: setting({
    rule: decimal({ min: 0 }),
    env: 'CHATDB_DISCONNECT_WINDOW_MS',
    default: 250,
    unit: 'ms',
  }),
  coalesceLeaseMs: setting({ rule: decimal({ min: 0 }), unit: 'ms' }),
  largeRoomThreshold: setting({
    rule: whole({ min: 2, off: 'off or Infinity' }),
    env: 'CHATDB_LARGE_ROOM_THRESHOLD',
    flag: 'large-room-threshold',
    default: DEFAULT_LARGE_ROOM_THRESHOLD,
    unit: 'subscribers',
  }),
  largeRoomShards: setting({
    rule: whole({ min: 1, max: MAX_SUBSCRIPTION_SHARDS }),
    env: 'CHATDB_LARGE_ROOM_SHARDS',
    flag: 'large-room-shards',
    default: DEFAULT_LARGE_ROOM_SHARDS,
    unit: 'shards',
  }),
  // The migrator's (createMigrator, `chatdb migrate`).
  segments: setting({
    rule: whole({ min: 1, max: 64 }),
    flag: 'segments',
    default: 4,
    unit: 'scan segments',
  }),
  pageSize: setting({ rule: whole({ min: 1 }), flag: 'page-size', default: 500, unit: 'items' }),
  // Renewed every third of the lease: below ~30 ms the renewals would outrun the requests.
  leaseMs: setting({ rule: decimal({ min: 30 }), default: 60_000, unit: 'ms' }),
  maxWcu: setting({ rule: decimal({ min: 'positive' }), flag: 'max-wcu', unit: 'WCU/s' }),
} as const

export type SettingName = keyof typeof SETTINGS
export type SettingValue<K extends SettingName> = (typeof SETTINGS)[K] extends Setting<infer T> ? T : never
export type Settings = { [K in SettingName]?: SettingValue<K> }

const shown = (value: unknown) =>
  typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value))

/**
 * The one wording of a bad setting, whatever named it: `CHATDB_LARGE_ROOM_SHARDS must be a whole
 * number 1–1024 (got "abc")`, `--large-room-shards must be …`, `largeRoomShards must be …`.
 */
export function settingError(source: string, rule: Rule<unknown>, value: unknown): ChatDbError {
  return new ChatDbError('validation.option', `${source} must be ${rule.describe} (got ${shown(value)})`)
}

/** A value checked by `entry`'s rule; `source` is what an error names. */
export function checkValue<T>(entry: Setting<T>, value: unknown, source: string): T {
  const parsed = entry.rule.schema.safeParse(value)
  if (!parsed.success) throw settingError(source, entry.rule, value)
  return parsed.data
}

/** A value written as text (a variable's, a flag's), read by `entry`'s rule; `source` is what an error names. */
export function readText<T>(entry: Setting<T>, raw: string, source: string): T {
  const parsed = entry.rule.schema.safeParse(entry.rule.fromText(raw))
  if (!parsed.success) throw settingError(source, entry.rule, raw)
  return parsed.data
}

/**
 * A library option checked by its setting's rule: the value, or `validation.option` naming the
 * option.
 *
 * @example
 * checkOption('largeRoomShards', 64) // 64
 * checkOption('largeRoomShards', 0) // throws "largeRoomShards must be a whole number 1–1024 (got 0)"
 */
export function checkOption<K extends SettingName>(name: K, value: unknown): SettingValue<K> {
  return checkValue(SETTINGS[name] as Setting<SettingValue<K>>, value, name)
}

/**
 * A setting written as text (a variable's value, a flag's), read by its rule; `source` (the
 * variable or flag) is what an error names.
 *
 * @example
 * readSetting('largeRoomThreshold', 'off', 'CHATDB_LARGE_ROOM_THRESHOLD') // Infinity
 */
export function readSetting<K extends SettingName>(name: K, raw: string, source: string): SettingValue<K> {
  return readText(SETTINGS[name] as Setting<SettingValue<K>>, raw, source)
}
