import { hostname, userInfo } from 'node:os'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { SETTINGS } from '../config/settings.js'
import type { BatchWriteOptions } from '../repository/batchWrite.js'
import { type ChatRepository, createChatRepository } from '../repository/chatRepository.js'
import { DEFAULT_TABLE_NAME } from '../table.js'
import { createDynamoLedger } from './dynamoLedger.js'
import { createDynamoLockStore } from './dynamoLockStore.js'
import { MigrationError } from './errors.js'
import type { ThrottleBackoffOptions } from './throttling.js'
import type { Direction, Migration, MigrationLedger, MigrationLockStore, MigrationReporter } from './types.js'

/** Called after every saved checkpoint; throwing stops the run there (tests inject crashes so). */
export type AfterCheckpointHook = (event: {
  version: number
  name: string
  direction: Direction
  phase: string
  segment: number
  /** Checkpoints saved by this run so far. */
  count: number
}) => void | Promise<void>

export interface MigratorOptions {
  documentClient: DynamoDBDocumentClient
  /** Table name (default `chat`). */
  tableName?: string
  /** The ordered list, usually `migrations` from `migrations/index.ts`. */
  migrations: readonly Migration[]
  /** Where the ledger lives (default: the table itself, `createDynamoLedger`). */
  ledger?: MigrationLedger
  /** Where the lock lives (default: the table itself, `createDynamoLockStore`). */
  lockStore?: MigrationLockStore
  reporter?: MigrationReporter
  /** Clock in epoch ms (default `Date.now`). */
  now?: () => number
  /** Recorded as `ranBy` (default `user@host`). */
  ranBy?: string
  /** Lock lease (default 60 s), renewed every third of it while a run goes on. */
  leaseMs?: number
  /** Parallel scan segments for data migrations (default 4). */
  segments?: number
  /** Items per Scan page, i.e. per checkpoint (default 500). */
  pageSize?: number
  batchWrite?: BatchWriteOptions
  /**
   * Write capacity units per second the migration's writes may consume (a token bucket holding
   * one second's worth; default: no limit). 1 WCU per started KB of each item written, the GSI
   * copy included; see docs/migrations.md for choosing it.
   */
  maxWcu?: number
  /** Backoff from throttling that outlived the SDK's retries (default 500 ms doubling to 30 s). */
  throttleBackoff?: ThrottleBackoffOptions
  /**
   * How the migrator waits (rate limit, backoff); default a timer. Tests pass a fake clock's:
   * with `sleep` given, the rate limiter reads time from `now`; without it, from the real clock
   * (so a migrator whose `now` is frozen for its ledger still paces its writes by real time).
   */
  sleep?: (ms: number) => Promise<void>
  /** Options migrations read from `context.options` (e.g. `messageRetentionDays`). */
  migrationOptions?: Record<string, unknown>
  /** Environment migrations read from `context.env` (default `process.env`). */
  env?: Record<string, string | undefined>
  hooks?: { afterCheckpoint?: AfterCheckpointHook }
}

/**
 * The migrator's options with their defaults applied and checked, and the stores and the
 * repository built: made once per migrator, and read by every run and every migration context.
 */
export interface MigratorRuntime {
  documentClient: DynamoDBDocumentClient
  tableName: string
  ledger: MigrationLedger
  lockStore: MigrationLockStore
  repository: ChatRepository
  reporter: MigrationReporter
  now: () => number
  ranBy: string
  leaseMs: number
  segments: number
  pageSize: number
  batchWrite: BatchWriteOptions | undefined
  maxWcu: number | undefined
  throttleBackoff: ThrottleBackoffOptions
  sleep: (ms: number) => Promise<void>
  /** The rate limiter's clock: `now` when `sleep` was given with it, else the real one. */
  limiterNow: () => number
  migrationOptions: Readonly<Record<string, unknown>>
  env: Readonly<Record<string, string | undefined>>
  afterCheckpoint: AfterCheckpointHook | undefined
}

export function createMigratorRuntime(options: MigratorOptions): MigratorRuntime {
  const { documentClient, tableName = DEFAULT_TABLE_NAME, now = Date.now, batchWrite } = options
  const leaseMs = options.leaseMs ?? SETTINGS.leaseMs.default
  const pageSize = options.pageSize ?? SETTINGS.pageSize.default
  const { maxWcu } = options
  const problem = settingProblem({ pageSize, leaseMs, maxWcu })
  if (problem) throw invalidSetting(problem)
  return {
    documentClient,
    tableName,
    ledger: options.ledger ?? createDynamoLedger({ documentClient, tableName }),
    lockStore: options.lockStore ?? createDynamoLockStore({ documentClient, tableName }),
    repository: createChatRepository({ documentClient, tableName, now, batchWrite }),
    reporter: options.reporter ?? {},
    now,
    ranBy: options.ranBy ?? defaultRanBy(),
    leaseMs,
    segments: options.segments ?? SETTINGS.segments.default,
    pageSize,
    batchWrite,
    maxWcu,
    throttleBackoff: options.throttleBackoff ?? {},
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    limiterNow: options.sleep ? now : Date.now,
    migrationOptions: options.migrationOptions ?? {},
    env: options.env ?? process.env,
    afterCheckpoint: options.hooks?.afterCheckpoint,
  }
}

/** A numeric migrator setting out of its range: which one, and the rule it breaks. */
export interface SettingProblem {
  setting: 'segments' | 'pageSize' | 'leaseMs' | 'maxWcu'
  /** What the value must be, e.g. `must be a whole number 1–64`. */
  rule: string
  value: number
}

/**
 * The migrator's numeric settings checked by their rules in src/config/settings.ts: `createMigrator`
 * and each run check them, and the CLI reads its flags by the same rules before it connects.
 *
 * @example
 * settingProblem({ segments: 0 }) // { setting: 'segments', rule: 'must be a whole number 1–64', value: 0 }
 */
export function settingProblem(settings: {
  segments?: number
  pageSize?: number
  leaseMs?: number
  maxWcu?: number
}): SettingProblem | undefined {
  for (const setting of ['segments', 'pageSize', 'leaseMs', 'maxWcu'] as const) {
    const value = settings[setting]
    if (value === undefined) continue
    const { rule } = SETTINGS[setting]
    if (!rule.schema.safeParse(value).success) return { setting, rule: `must be ${rule.describe}`, value }
  }
  return undefined
}

/** Checks the scan segments of one run (the run's own, else the migrator's). */
export function checkSegments(segments: number): number {
  const problem = settingProblem({ segments })
  if (problem) throw invalidSetting(problem)
  return segments
}

function invalidSetting({ setting, rule, value }: SettingProblem): MigrationError {
  return new MigrationError('migration.invalidOption', `${setting} ${rule} (got ${value})`)
}

function defaultRanBy(): string {
  let user = process.env.USER ?? process.env.USERNAME ?? 'unknown'
  try {
    user = userInfo().username
  } catch {
    // No passwd entry (some containers): keep the environment's name.
  }
  return `${user}@${hostname()}`
}
