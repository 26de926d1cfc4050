import { migrationChecksum } from './checksum.js'
import { MigrationError, wrapMigrationFailure } from './errors.js'
import type { HeldLock } from './leaseLock.js'
import { createMigrationContext } from './migrationContext.js'
import { hasCheckpoints } from './plan.js'
import { createRunProgress } from './runProgress.js'
import type { MigratorRuntime } from './runtime.js'
import type { Direction, LedgerEntry, Migration, MigrationRunResult } from './types.js'

/**
 * Runs one migration in one direction: logs it `running` in the ledger (resuming from the
 * checkpoints of an interrupted run of the same code and direction), gives it its context,
 * and records the outcome (`applied`, `rolled-back`, or `failed` with its checkpoints kept).
 * Under `dryRun` nothing is written anywhere and the result says what would change.
 */
export async function runMigration(
  runtime: MigratorRuntime,
  migration: Migration,
  direction: Direction,
  entry: LedgerEntry | undefined,
  run: {
    dryRun: boolean
    segments: number
    lock: HeldLock | undefined
    checkpointCount: { value: number }
  },
): Promise<MigrationRunResult> {
  const { ledger, reporter, now, ranBy } = runtime
  const { dryRun } = run
  const checksum = migrationChecksum(migration)
  const resumable =
    entry !== undefined &&
    (entry.status === 'failed' || entry.status === 'running') &&
    entry.direction === direction &&
    entry.checksum === checksum &&
    hasCheckpoints(entry)
  const resumed = !dryRun && resumable
  // A dry run of a resumable migration reads the clock the resume will use (message-retention
  // counts from it), though it scans everything.
  const startedAt = resumable ? entry.startedAt : now()
  const ids = { version: migration.version, name: migration.name }
  const running: LedgerEntry = {
    ...ids,
    checksum,
    status: 'running',
    direction,
    startedAt,
    itemsScanned: resumed ? entry.itemsScanned : 0,
    itemsChanged: resumed ? entry.itemsChanged : 0,
    ranBy,
    checkpoints: resumed ? entry.checkpoints : {},
    ...(entry?.previousChecksum ? { previousChecksum: entry.previousChecksum } : {}),
  }
  const progress = createRunProgress({
    initial: running.checkpoints,
    persist: dryRun
      ? undefined
      : ({ checkpoints, scanned, changed }) =>
          ledger.saveCheckpoints(migration.version, {
            checkpoints,
            itemsScanned: scanned,
            itemsChanged: changed,
          }),
  })
  const { context, notices, details, writes, writeRate, assertHeld } = createMigrationContext(runtime, {
    migration: ids,
    direction,
    dryRun,
    startedAt,
    segments: run.segments,
    progress,
    lock: run.lock,
    checkpointCount: run.checkpointCount,
  })

  if (!dryRun) await ledger.log(running)
  reporter.migrationStarted?.({ ...ids, direction, dryRun, resumed })
  try {
    const fn = direction === 'up' ? migration.up : migration.down
    if (!fn) throw new MigrationError('migration.irreversible', 'no down function')
    await fn.call(migration, context)
    assertHeld()
  } catch (error) {
    const wrapped = wrapMigrationFailure(error, ids, direction)
    if (!dryRun) {
      const { scanned, changed } = progress.totals()
      // Keep the checkpoints: the next run in this direction resumes from them.
      await ledger
        .log({
          ...running,
          status: 'failed',
          finishedAt: now(),
          itemsScanned: scanned,
          itemsChanged: changed,
          checkpoints: progress.checkpoints,
          error: wrapped.message,
        })
        .catch(() => undefined)
    }
    throw wrapped
  }
  const { scanned, changed } = progress.totals()
  const finishedAt = now()
  if (!dryRun && direction === 'up') {
    await ledger.log({
      ...running,
      status: 'applied',
      finishedAt,
      itemsScanned: scanned,
      itemsChanged: changed,
      checkpoints: {},
    })
  } else if (!dryRun) {
    await ledger.unlog(migration.version, {
      finishedAt,
      itemsScanned: scanned,
      itemsChanged: changed,
      ranBy,
    })
  }
  const result: MigrationRunResult = {
    ...ids,
    direction,
    dryRun,
    outcome: dryRun
      ? direction === 'up'
        ? 'would-apply'
        : 'would-roll-back'
      : direction === 'up'
        ? 'applied'
        : 'rolled-back',
    resumed,
    itemsScanned: scanned,
    itemsChanged: changed,
    ...writes,
    writeRate: writeRate(),
    notices,
    details,
  }
  reporter.migrationFinished?.(result)
  return result
}
