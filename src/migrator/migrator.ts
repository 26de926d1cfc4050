import { randomUUID } from 'node:crypto'
import { migrationChecksum } from './checksum.js'
import { label } from './errors.js'
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
import { runMigration } from './runMigration.js'
import { checkSegments, createMigratorRuntime, type MigratorOptions } from './runtime.js'
import type { Direction, LedgerEntry, LockInfo, Migration, MigrationRunResult } from './types.js'

export type { MigratorOptions } from './runtime.js'

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

/** What `up` or `down` would run now, read from the ledger without the lock. */
export interface MigrationPlan {
  direction: Direction
  /** The `to` of the run as a version number; undefined without one. */
  to: number | undefined
  /** The migrations the run would apply (in order) or roll back (newest first). */
  targets: MigrationStatus[]
  /** Applied migrations in range whose checksum changed: the run refuses them without `force`. */
  drifted: MigrationStatus[]
  /** `up` with `to`: the later migrations it would leave unapplied, as `NNN_name`. */
  notApplied: string[]
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
 * import { createMigrator } from 'chatdb/migrator'
 * import { migrations } from 'chatdb/migrations'
 * const migrator = createMigrator({ documentClient, tableName: 'chat', migrations })
 * console.table((await migrator.status()).migrations)
 * const { targets } = await migrator.plan('up') // what `up` would run
 * await migrator.up({ dryRun: true }) // counts only
 * await migrator.up()
 */
export function createMigrator(options: MigratorOptions) {
  const { migrations } = options
  assertMigrationList(migrations)
  const runtime = createMigratorRuntime(options)
  const { tableName, ledger, lockStore, now } = runtime

  async function statuses(): Promise<{ list: MigrationStatus[]; entries: LedgerEntry[] }> {
    const entries = await ledger.executed()
    const byVersion = new Map(entries.map((entry) => [entry.version, entry]))
    const list = migrations.map((migration): MigrationStatus => {
      const entry = byVersion.get(migration.version)
      const checksum = migrationChecksum(migration)
      const state = stateOf(entry, checksum)
      return {
        version: migration.version,
        name: migration.name,
        description: migration.description,
        state,
        checksum,
        reversible: typeof migration.down === 'function',
        resumable: (state === 'failed' || state === 'running') && hasCheckpoints(entry),
        ledger: entry,
      }
    })
    return { list, entries }
  }

  /** Checks `to` (`migration.unknownVersion`) and reads the ledger once. */
  async function plan(direction: Direction, { to }: Pick<RunOptions, 'to'> = {}): Promise<MigrationPlan> {
    const version =
      to === undefined ? undefined : resolveVersion(migrations, to, { allowZero: direction === 'down' })
    const { list } = await statuses()
    const planned = direction === 'up' ? planUp(list, version) : planDown(list, version)
    return { direction, to: version, ...planned, notApplied: planned.later.map(label) }
  }

  async function run(direction: Direction, runOptions: RunOptions): Promise<RunReport> {
    const { dryRun = false, force = false, forceUnlock = false } = runOptions
    const segments = checkSegments(runOptions.segments ?? runtime.segments)

    // Planned once without the lock, so a dry run or a run with nothing to do writes nothing.
    let planned = await plan(direction, runOptions)
    if (planned.drifted.length > 0 && !force) throw driftError(planned.drifted)
    const report: RunReport = {
      direction,
      dryRun,
      results: [],
      acceptedDrift: planned.drifted.map((s) => s.version),
      to: planned.to,
      notApplied: planned.notApplied,
    }
    if (planned.targets.length === 0 && planned.drifted.length === 0) return report
    const byVersion = new Map(migrations.map((m) => [m.version, m]))
    const checkpointCount = { value: 0 }

    if (dryRun) {
      for (const target of planned.targets) {
        const migration = byVersion.get(target.version) as Migration
        report.results.push(
          await runMigration(runtime, migration, direction, target.ledger, {
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
      locks: lockStore,
      owner: lockOwner(runtime.ranBy),
      now,
      leaseMs: runtime.leaseMs,
      takeOverExpired: forceUnlock,
    })
    try {
      // Planned again under the lock: another run may have finished in between.
      planned = await plan(direction, runOptions)
      if (planned.drifted.length > 0 && !force) throw driftError(planned.drifted)
      report.notApplied = planned.notApplied
      report.acceptedDrift = []
      for (const drifted of planned.drifted) {
        if (!drifted.ledger || direction === 'down') continue
        await ledger.log({
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
          await runMigration(runtime, migration, direction, target.ledger, {
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
    ledger,
    lockStore,

    /** Every migration with its state (pending, applied, drifted, failed, running, rolled-back) and the lock. */
    async status(): Promise<StatusReport> {
      const [{ list, entries }, lock] = await Promise.all([statuses(), lockStore.read()])
      const known = new Set(migrations.map((m) => m.version))
      return {
        migrations: list,
        unknown: entries.filter((entry) => !known.has(entry.version)),
        lock: lock && { ...lock, expired: lock.leaseUntil < now() },
      }
    },

    /**
     * What `up` or `down` with this `to` would run, without running it (the CLI asks for
     * confirmation with it). The run plans again under its lock: another run may come between.
     */
    plan,

    /** Applies pending (and resumes failed) migrations in order, up to `to`. */
    up: (runOptions: RunOptions = {}) => run('up', runOptions),

    /** Rolls back the last applied migration, or every one above `to`. */
    down: (runOptions: RunOptions = {}) => run('down', runOptions),
  }
}

export type Migrator = ReturnType<typeof createMigrator>

function lockOwner(ranBy: string): string {
  return `${ranBy} (pid ${process.pid}, run ${randomUUID().slice(0, 8)})`
}
