import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { type BatchWriteOptions, type WriteRequest, writeInBatches } from '../repository/batchWrite.js'
import type { ChatRepository } from '../repository/chatRepository.js'
import { createTableStore } from '../repository/tableStore.js'
import { migrationChecksum } from './checksum.js'
import { MigrationError, wrapMigrationFailure } from './errors.js'
import type { HeldLock } from './leaseLock.js'
import { hasCheckpoints } from './plan.js'
import { createRunProgress } from './runProgress.js'
import { scanRewrite } from './scanRewrite.js'
import { setTimeToLive } from './timeToLive.js'
import type {
  Direction,
  LedgerEntry,
  LedgerStore,
  Migration,
  MigrationContext,
  MigrationReporter,
  MigrationRunResult,
} from './types.js'

/** What a migration run needs from its migrator. */
export interface RunDeps {
  documentClient: DynamoDBDocumentClient
  tableName: string
  store: LedgerStore
  reporter: MigrationReporter
  now: () => number
  ranBy: string
  repository: ChatRepository
  pageSize: number
  migrationOptions: Record<string, unknown>
  env: Record<string, string | undefined>
  hooks: {
    afterCheckpoint?(event: {
      version: number
      name: string
      direction: Direction
      phase: string
      segment: number
      count: number
    }): void | Promise<void>
  }
  batchWrite: BatchWriteOptions | undefined
}

/**
 * Runs one migration in one direction: logs it `running` in the ledger (resuming from the
 * checkpoints of an interrupted run of the same code and direction), gives it its context,
 * and records the outcome (`applied`, `rolled-back`, or `failed` with its checkpoints kept).
 * Under `dryRun` nothing is written anywhere and the result says what would change.
 */
export async function runMigration(
  deps: RunDeps,
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
  const {
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
    batchWrite,
  } = deps
  const { dryRun } = run
  const checksum = migrationChecksum(migration)
  const resumed =
    !dryRun &&
    entry !== undefined &&
    (entry.status === 'failed' || entry.status === 'running') &&
    entry.direction === direction &&
    entry.checksum === checksum &&
    hasCheckpoints(entry)
  const startedAt = resumed ? entry.startedAt : now()
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
          store.saveProgress(migration.version, {
            checkpoints,
            itemsScanned: scanned,
            itemsChanged: changed,
          }),
  })
  const notices: string[] = []
  const writes = { puts: 0, deletes: 0 }
  const write = async ({ puts = [], deletes = [] }: { puts?: WriteRequest[]; deletes?: WriteRequest[] }) => {
    writes.puts += puts.length
    writes.deletes += deletes.length
    if (dryRun) return
    // Puts before deletes: a crash between them leaves both copies, never neither.
    await writeInBatches(documentClient, tableName, puts, batchWrite)
    await writeInBatches(documentClient, tableName, deletes, batchWrite)
  }
  const assertHeld = () => run.lock?.assertHeld()
  const afterCheckpoint = async ({ phase, segment }: { phase: string; segment: number }) => {
    if (dryRun) return
    run.checkpointCount.value++
    await hooks.afterCheckpoint?.({ ...ids, direction, phase, segment, count: run.checkpointCount.value })
  }
  const report = (phase: string) => reporter.progress?.({ ...ids, direction, phase, ...progress.totals() })

  const { table, entities } = createTableStore({ documentClient, tableName })
  const context: MigrationContext = {
    migration: ids,
    direction,
    dryRun,
    tableName,
    documentClient,
    table,
    entities,
    repository,
    now,
    startedAt,
    options: migrationOptions,
    env,
    scanRewrite: (spec) =>
      scanRewrite(
        {
          table,
          write: (requests) => write(requests),
          progress,
          dryRun,
          segments: run.segments,
          pageSize,
          beforePage: assertHeld,
          afterCheckpoint,
          onPage: report,
        },
        spec,
      ),
    async step(phase, fn) {
      const checkpoint = progress.phase(phase)
      if (checkpoint.done) return { scanned: checkpoint.scanned, changed: checkpoint.changed, skipped: true }
      assertHeld()
      const { scanned, changed } = await fn()
      progress.record(phase, scanned, changed)
      checkpoint.done = true
      await progress.save()
      report(phase)
      await afterCheckpoint({ phase, segment: 0 })
      return { scanned: checkpoint.scanned, changed: checkpoint.changed, skipped: false }
    },
    write,
    setTimeToLive: async (attributeName, enabled) =>
      dryRun ? 'dry-run' : setTimeToLive(documentClient, tableName, attributeName, enabled),
    notice(message) {
      notices.push(message)
      reporter.notice?.({ ...ids, message })
    },
  }

  if (!dryRun) await store.log(running)
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
      await store
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
    await store.log({
      ...running,
      status: 'applied',
      finishedAt,
      itemsScanned: scanned,
      itemsChanged: changed,
      checkpoints: {},
    })
  } else if (!dryRun) {
    await store.unlog(migration.version, {
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
    notices,
  }
  reporter.migrationFinished?.(result)
  return result
}
