import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { ChatEntities } from '../entities/index.js'
import type { WriteRequest } from '../repository/batchWrite.js'
import type { ChatRepository } from '../repository/chatRepository.js'
import type { ChatTable } from '../table.js'

export type Direction = 'up' | 'down'

/** A raw DynamoDB item, as Scan returns it (document-client types). */
export type ScannedItem = Record<string, unknown>

/**
 * One versioned migration. Listed in order in `migrations/index.ts`; the runner gives each
 * function a {@link MigrationContext}.
 *
 * @example
 * export const migration: Migration = {
 *   version: 3,
 *   name: 'room-topics',
 *   description: 'gives every room listing record an empty topic',
 *   async up(ctx) {
 *     await ctx.scanRewrite({ phase: 'rooms', transform: (item) => ... })
 *   },
 * }
 */
export interface Migration {
  /** Positive integer, unique, increasing along the list. */
  version: number
  /** Short kebab-case name (`legacy-seed-layout`). */
  name: string
  description: string
  /**
   * A declared checksum source (any string, hashed with sha256): bump it when the migration's
   * behaviour changes. When absent the checksum is the sha256 of the `up`/`down` source text.
   */
  checksum?: string
  up(context: MigrationContext): Promise<void>
  down?(context: MigrationContext): Promise<void>
}

/** What a transform asks the scan-and-rewrite helper to write for one item. */
export interface Rewrite {
  /** BatchWriteItem PutRequests, e.g. `Entity.build(BatchPutRequest).item(...).params()`. */
  puts?: WriteRequest[]
  /** BatchWriteItem DeleteRequests; sent after every put of the same page has landed. */
  deletes?: WriteRequest[]
}

export interface ScanRewriteSpec {
  /** Names the checkpoint: unique within a migration and direction. */
  phase: string
  /**
   * Called for every scanned item; returns what to write, or undefined to leave it alone.
   * Must be idempotent: after a crash a page may be transformed again.
   */
  transform(item: ScannedItem): Rewrite | undefined | Promise<Rewrite | undefined>
  /**
   * Runs after a page's writes landed and before its checkpoint is saved (and in a dry run,
   * without the writes). Returns how many further changes it made (or would make).
   */
  afterPage?(page: { items: ScannedItem[]; dryRun: boolean }): Promise<number>
}

export interface PhaseResult {
  scanned: number
  changed: number
  /** True when the phase had finished in an earlier, interrupted run and was skipped. */
  skipped: boolean
}

/** What the runner hands to `up` and `down`. */
export interface MigrationContext {
  migration: Pick<Migration, 'version' | 'name'>
  direction: Direction
  /** True under `--dry-run`: nothing may be written, counts say what would change. */
  dryRun: boolean
  tableName: string
  documentClient: DynamoDBDocumentClient
  table: ChatTable
  entities: ChatEntities
  /** A repository on the same table and clock. */
  repository: ChatRepository
  /** The migrator's clock (epoch ms). */
  now(): number
  /** When this migration's first attempt started: stable across resumed runs. */
  startedAt: number
  /** Options given to the migrator for migrations (`migrationOptions`). */
  options: Readonly<Record<string, unknown>>
  env: Readonly<Record<string, string | undefined>>
  /** Parallel-segment Scan, BatchWriteItem rewrite, checkpoint per page; see scanRewrite.ts. */
  scanRewrite(spec: ScanRewriteSpec): Promise<PhaseResult>
  /**
   * Runs `fn` once per migration run: when a resumed run finds the step finished, it is skipped.
   * `fn` must be idempotent (it reruns when it was interrupted) and honour `dryRun`.
   */
  step(phase: string, fn: () => Promise<{ scanned: number; changed: number }>): Promise<PhaseResult>
  /**
   * Writes through BatchWriteItem within the migrator's `maxWcu`, backing off from throttling
   * (see meteredWrite.ts), or counts them under `dryRun`.
   */
  write(requests: { puts?: WriteRequest[]; deletes?: WriteRequest[] }): Promise<void>
  /** Turns TTL on or off; reports instead of failing where the endpoint lacks UpdateTimeToLive. */
  setTimeToLive(attributeName: string, enabled: boolean): Promise<TimeToLiveOutcome>
  /** A line for the operator (printed by the CLI, kept in the run result). */
  notice(message: string): void
  /** Figures for scripts, under `name` in the run result's `details` (`--json`); the last one wins. */
  detail(name: string, value: DetailValue): void
}

/** A JSON value, as a migration's {@link MigrationContext.detail} records it. */
export type DetailValue = string | number | boolean | null | DetailValue[] | { [key: string]: DetailValue }

export type TimeToLiveOutcome = 'changed' | 'unchanged' | 'unsupported' | 'dry-run'

export type LedgerStatus = 'running' | 'applied' | 'failed' | 'rolled-back'

export interface SegmentCheckpoint {
  /** The LastEvaluatedKey after the last page whose writes landed; null before the first. */
  lastKey: ScannedItem | null
  done: boolean
}

export interface PhaseCheckpoint {
  done: boolean
  scanned: number
  changed: number
  /** Scan phases only: one entry per segment (TotalSegments is fixed by the first attempt). */
  segments?: SegmentCheckpoint[]
}

export type Checkpoints = Record<string, PhaseCheckpoint>

/** The ledger's record of one migration version (one item per version, updated per run). */
export interface LedgerEntry {
  version: number
  name: string
  checksum: string
  status: LedgerStatus
  /** Direction of the latest run. */
  direction: Direction
  startedAt: number
  finishedAt?: number
  itemsScanned: number
  itemsChanged: number
  /** `user@host` of the latest run. */
  ranBy: string
  /** Progress of the latest run, kept when it failed so the next run resumes. */
  checkpoints: Checkpoints
  error?: string
  /** Set when `up --force` accepted a changed migration: the checksum it replaced. */
  previousChecksum?: string
}

export interface LockInfo {
  owner: string
  acquiredAt: number
  leaseUntil: number
}

/**
 * Where the migrator records what ran: umzug's storage contract (`executed`, `log`, `unlog`)
 * plus `saveCheckpoints`, the one extra write a resumable data migration needs (its scan
 * cursors and counters, saved after every page). `createDynamoLedger` keeps it in the table,
 * `createMemoryLedger` in memory; any object with these four methods will do.
 *
 * @example
 * const ledger: MigrationLedger = createMemoryLedger()
 * await ledger.log({ version: 1, name: 'a', checksum, status: 'applied', direction: 'up',
 *   startedAt: 0, itemsScanned: 0, itemsChanged: 0, ranBy: 'me@host', checkpoints: {} })
 * const applied = (await ledger.executed()).filter((e) => e.status === 'applied')
 */
export interface MigrationLedger {
  /** Every ledger record, in version order. */
  executed(): Promise<LedgerEntry[]>
  /** Writes (replaces) the record of `entry.version`. */
  log(entry: LedgerEntry): Promise<void>
  /** Marks a logged version rolled back, keeping who did it and when; its checkpoints are cleared. */
  unlog(
    version: number,
    run: Pick<LedgerEntry, 'finishedAt' | 'itemsScanned' | 'itemsChanged' | 'ranBy'>,
  ): Promise<void>
  /** Saves a logged, running migration's checkpoints and counters (the rest of its record stays). */
  saveCheckpoints(
    version: number,
    progress: Pick<LedgerEntry, 'checkpoints' | 'itemsScanned' | 'itemsChanged'>,
  ): Promise<void>
}

/**
 * The lock taken around every run that writes: a lease that its holder renews while it runs,
 * so that only a dead holder's lease ever expires. `createDynamoLockStore` keeps it in the
 * table, `createMemoryLockStore` in memory.
 *
 * @example
 * const locks: MigrationLockStore = createMemoryLockStore()
 * await locks.acquire({ owner: 'me', now: Date.now(), leaseMs: 60_000, takeOverExpired: false })
 * await locks.release('me')
 */
export interface MigrationLockStore {
  /**
   * Takes the lock, or throws `migration.locked` naming the holder. With `takeOverExpired`
   * (`--force-unlock`) an expired lease is taken over; a live one never is.
   */
  acquire(request: {
    owner: string
    now: number
    leaseMs: number
    takeOverExpired: boolean
  }): Promise<LockInfo>
  /** Extends the lease; false when `owner` no longer holds the lock. */
  renew(owner: string, leaseUntil: number): Promise<boolean>
  /** Releases the lock if `owner` still holds it (a taken-over lock stays with its new holder). */
  release(owner: string): Promise<void>
  /** The current holder, expired or not; undefined when nobody holds the lock. */
  read(): Promise<LockInfo | undefined>
}

/** How a migration's writes went against the table's capacity (in progress events and results). */
export interface WriteRateStats {
  /** The limit (`maxWcu`), or undefined when there was none. */
  maxWcu: number | undefined
  /** WCU the writes consumed: reported by DynamoDB where it says, else computed from item sizes. */
  consumedWcu: number
  /** Time the rate limiter held writes back, ms (overlapping waits of concurrent writers count once). */
  limiterWaitMs: number
  /** Batches throttled after the SDK's (and batchWrite's) own retries, each backed off and retried. */
  throttled: number
  /** Time spent backing off from those throttles, ms. */
  backoffMs: number
}

export interface ProgressEvent {
  version: number
  name: string
  direction: Direction
  phase: string
  /** Totals of this migration run so far (phases of a resumed run included). */
  scanned: number
  changed: number
  /** The run's writes against the table's capacity so far: WCU, limiter waits, throttles. */
  writeRate: WriteRateStats
}

/** Receives the runner's progress; the CLI draws a bar on a TTY and summary lines otherwise. */
export interface MigrationReporter {
  migrationStarted?(event: {
    version: number
    name: string
    direction: Direction
    dryRun: boolean
    resumed: boolean
  }): void
  progress?(event: ProgressEvent): void
  notice?(event: { version: number; name: string; message: string }): void
  migrationFinished?(result: MigrationRunResult): void
}

export interface MigrationRunResult {
  version: number
  name: string
  direction: Direction
  dryRun: boolean
  /** `applied` / `rolled-back`, or what would happen under `dryRun`. */
  outcome: 'applied' | 'rolled-back' | 'would-apply' | 'would-roll-back'
  /** True when the run continued from checkpoints of an interrupted one. */
  resumed: boolean
  itemsScanned: number
  itemsChanged: number
  /** Write requests (items) sent, or that would be sent under `dryRun`. */
  puts: number
  deletes: number
  /** The writes against the table's capacity: WCU consumed, limiter waits, throttles backed off. */
  writeRate: WriteRateStats
  notices: string[]
  /** What the migration recorded with `detail` (e.g. message-retention's counts and dates). */
  details: Record<string, DetailValue>
}
