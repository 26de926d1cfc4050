import { randomUUID } from 'node:crypto'
import { hostname, userInfo } from 'node:os'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { BatchWriteOptions } from '../repository/batchWrite.js'
import { createChatRepository } from '../repository/chatRepository.js'
import { DEFAULT_TABLE_NAME } from '../table.js'
import { migrationChecksum } from './checksum.js'
import { createDynamoLedgerStore } from './dynamoLedgerStore.js'
import { label, MigrationError } from './errors.js'
import { holdLock } from './leaseLock.js'
import {
  assertMigrationList,
  driftError,
  hasCheckpoints,
  type MigrationStatus,
  planDown,
  planUp,
  resolveVersion,
  stateOf,
} from './plan.js'
import { type RunDeps, runMigration } from './runMigration.js'
import type {
  Direction,
  LedgerEntry,
  LedgerStore,
  LockInfo,
  Migration,
  MigrationReporter,
  MigrationRunResult,
} from './types.js'

export interface MigratorOptions {
  documentClient: DynamoDBDocumentClient
  /** Table name (default `chat`). */
  tableName?: string
  /** The ordered list, usually `migrations` from `migrations/index.ts`. */
  migrations: readonly Migration[]
  /** Where the ledger and the lock live (default: the table itself). */
  store?: LedgerStore
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
  /** Options migrations read from `context.options` (e.g. `messageRetentionDays`). */
  migrationOptions?: Record<string, unknown>
  /** Environment migrations read from `context.env` (default `process.env`). */
  env?: Record<string, string | undefined>
  hooks?: {
    /** After every saved checkpoint; throwing stops the run there (tests inject crashes so). */
    afterCheckpoint?(event: {
      version: number
      name: string
      direction: Direction
      phase: string
      segment: number
      /** Checkpoints saved by this run so far. */
      count: number
    }): void | Promise<void>
  }
}

export interface RunOptions {
  /** Last version to apply (`up`), or the version to roll back to (`down`; 0 = all). */
  to?: number | string
  /** Report what would change; write nothing, not even the ledger or the lock. */
  dryRun?: boolean
  /** Accept applied migrations whose checksum changed (their ledger takes the new checksum). */
  force?: boolean
  /** Take over a lock whose lease expired (its holder died). */
  forceUnlock?: boolean
  /** Scan segments for this run (default: the migrator's). */
  segments?: number
}

export interface RunReport {
  direction: Direction
  dryRun: boolean
  results: MigrationRunResult[]
  /** Versions whose changed checksum `--force` accepted (or would accept under dry run). */
  acceptedDrift: number[]
  /** The `to` of the run as a version number; undefined without one. */
  to: number | undefined
  /**
   * `up` with `to`: the later migrations it left unapplied (pending, rolled back or failed),
   * as `NNN_name`. Empty otherwise. With none run and these left, not everything is applied.
   */
  notApplied: string[]
}

export interface StatusReport {
  migrations: MigrationStatus[]
  /** Ledger records of versions the code no longer lists. */
  unknown: LedgerEntry[]
  lock: (LockInfo & { expired: boolean }) | undefined
}

/**
 * The migration runner: versioned migrations recorded in a ledger in the table, a leased lock
 * around every run, data migrations that checkpoint every page and resume after a crash,
 * and dry runs that write nothing.
 *
 * @example
 * import { createMigrator, migrations } from 'chatdb/migrator'
 * const migrator = createMigrator({ documentClient, tableName: 'chat', migrations })
 * console.table((await migrator.status()).migrations)
 * await migrator.up({ dryRun: true }) // counts only
 * await migrator.up()
 */
export function createMigrator(options: MigratorOptions) {
  const {
    documentClient,
    tableName = DEFAULT_TABLE_NAME,
    migrations,
    reporter = {},
    now = Date.now,
    leaseMs = 60_000,
    pageSize = 500,
    migrationOptions = {},
    env = process.env,
    hooks = {},
  } = options
  assertMigrationList(migrations)
  if (!Number.isInteger(pageSize) || pageSize < 1) {
    throw new MigrationError(
      'migration.invalidOption',
      `pageSize must be a positive integer (got ${pageSize})`,
    )
  }
  if (!(leaseMs >= 30)) {
    throw new MigrationError('migration.invalidOption', `leaseMs must be at least 30 (got ${leaseMs})`)
  }
  const store = options.store ?? createDynamoLedgerStore({ documentClient, tableName })
  const ranBy = options.ranBy ?? defaultRanBy()
  const repository = createChatRepository({ documentClient, tableName, now, batchWrite: options.batchWrite })
  const runDeps: RunDeps = {
    documentClient,
    tableName,
    store,
    reporter,
    now,
    ranBy,
    repository,
    pageSize,
    migrationOptions,
    env,
    hooks,
    batchWrite: options.batchWrite,
  }

  async function statuses(): Promise<{ list: MigrationStatus[]; entries: LedgerEntry[] }> {
    const entries = await store.executed()
    const byVersion = new Map(entries.map((entry) => [entry.version, entry]))
    const list = migrations.map((migration): MigrationStatus => {
      const ledger = byVersion.get(migration.version)
      const checksum = migrationChecksum(migration)
      const state = stateOf(ledger, checksum)
      return {
        version: migration.version,
        name: migration.name,
        description: migration.description,
        state,
        checksum,
        reversible: typeof migration.down === 'function',
        resumable: (state === 'failed' || state === 'running') && hasCheckpoints(ledger),
        ledger,
      }
    })
    return { list, entries }
  }

  async function run(direction: Direction, runOptions: RunOptions): Promise<RunReport> {
    const { dryRun = false, force = false, forceUnlock = false } = runOptions
    const segments = runOptions.segments ?? options.segments ?? 4
    if (!Number.isInteger(segments) || segments < 1 || segments > 64) {
      throw new MigrationError(
        'migration.invalidOption',
        `segments must be an integer from 1 to 64 (got ${segments})`,
      )
    }
    const to =
      runOptions.to === undefined
        ? undefined
        : resolveVersion(migrations, runOptions.to, { allowZero: direction === 'down' })
    const plan = (list: MigrationStatus[]) => (direction === 'up' ? planUp(list, to) : planDown(list, to))

    // Planned once without the lock, so a dry run or a run with nothing to do writes nothing.
    let planned = plan((await statuses()).list)
    if (planned.drifted.length > 0 && !force) throw driftError(planned.drifted)
    const report: RunReport = {
      direction,
      dryRun,
      results: [],
      acceptedDrift: planned.drifted.map((s) => s.version),
      to,
      notApplied: planned.later.map(label),
    }
    if (planned.targets.length === 0 && planned.drifted.length === 0) return report
    const byVersion = new Map(migrations.map((m) => [m.version, m]))
    const checkpointCount = { value: 0 }

    if (dryRun) {
      for (const target of planned.targets) {
        const migration = byVersion.get(target.version) as Migration
        report.results.push(
          await runMigration(runDeps, migration, direction, target.ledger, {
            dryRun,
            segments,
            lock: undefined,
            checkpointCount,
          }),
        )
      }
      return report
    }

    const lock = await holdLock({
      store,
      owner: lockOwner(ranBy),
      now,
      leaseMs,
      takeOverExpired: forceUnlock,
    })
    try {
      // Planned again under the lock: another run may have finished in between.
      planned = plan((await statuses()).list)
      if (planned.drifted.length > 0 && !force) throw driftError(planned.drifted)
      report.notApplied = planned.later.map(label)
      report.acceptedDrift = []
      for (const drifted of planned.drifted) {
        if (!drifted.ledger || direction === 'down') continue
        await store.log({
          ...drifted.ledger,
          checksum: drifted.checksum,
          previousChecksum: drifted.ledger.checksum,
        })
        report.acceptedDrift.push(drifted.version)
      }
      for (const target of planned.targets) {
        lock.assertHeld()
        const migration = byVersion.get(target.version) as Migration
        report.results.push(
          await runMigration(runDeps, migration, direction, target.ledger, {
            dryRun,
            segments,
            lock,
            checkpointCount,
          }),
        )
      }
    } finally {
      // A failed release must not hide how the run went: the lease then expires by itself
      // (the lock names the owner, and --force-unlock takes it over once expired).
      await lock.release().catch(() => undefined)
    }
    return report
  }

  return {
    tableName,
    migrations,
    store,

    /** Every migration with its state (pending, applied, drifted, failed, running, rolled-back) and the lock. */
    async status(): Promise<StatusReport> {
      const [{ list, entries }, lock] = await Promise.all([statuses(), store.readLock()])
      const known = new Set(migrations.map((m) => m.version))
      return {
        migrations: list,
        unknown: entries.filter((entry) => !known.has(entry.version)),
        lock: lock && { ...lock, expired: lock.leaseUntil < now() },
      }
    },

    /** Applies pending (and resumes failed) migrations in order, up to `to`. */
    up: (runOptions: RunOptions = {}) => run('up', runOptions),

    /** Rolls back the last applied migration, or every one above `to`. */
    down: (runOptions: RunOptions = {}) => run('down', runOptions),
  }
}

export type Migrator = ReturnType<typeof createMigrator>

function defaultRanBy(): string {
  let user = process.env.USER ?? process.env.USERNAME ?? 'unknown'
  try {
    user = userInfo().username
  } catch {
    // No passwd entry (some containers): keep the environment's name.
  }
  return `${user}@${hostname()}`
}

function lockOwner(ranBy: string): string {
  return `${ranBy} (pid ${process.pid}, run ${randomUUID().slice(0, 8)})`
}
