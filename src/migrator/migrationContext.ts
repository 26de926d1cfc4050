import type { WriteRequest } from '../repository/batchWrite.js'
import { createTableStore } from '../repository/tableStore.js'
import type { HeldLock } from './leaseLock.js'
import { createMeteredWrite } from './meteredWrite.js'
import type { RunProgress } from './runProgress.js'
import type { MigratorRuntime } from './runtime.js'
import { scanRewrite } from './scanRewrite.js'
import { setTimeToLive } from './timeToLive.js'
import type { DetailValue, Direction, MigrationContext } from './types.js'
import { createWriteRateLimiter } from './writeRateLimiter.js'

/** What one run of one migration adds to the migrator's runtime. */
export interface ContextRun {
  migration: { version: number; name: string }
  direction: Direction
  dryRun: boolean
  /** When the migration's first attempt started (stable across resumed runs). */
  startedAt: number
  segments: number
  progress: RunProgress
  /** Undefined under dry run: a dry run takes no lock. */
  lock: HeldLock | undefined
  /** Checkpoints saved by the whole migrator run, shared by its migrations (for the hook). */
  checkpointCount: { value: number }
}

/**
 * The {@link MigrationContext} a migration's `up`/`down` receives — built here and nowhere
 * else — with what it wrote (or would write) and the notices it gave, for the run's result.
 */
export function createMigrationContext(runtime: MigratorRuntime, run: ContextRun) {
  const { documentClient, tableName, repository, reporter } = runtime
  const { migration: ids, direction, dryRun, progress } = run
  const notices: string[] = []
  const details: Record<string, DetailValue> = {}
  const writes = { puts: 0, deletes: 0 }
  const assertHeld = () => run.lock?.assertHeld()
  let lastPhase = ''
  const report = (phase: string) => {
    lastPhase = phase
    reporter.progress?.({ ...ids, direction, phase, ...progress.totals(), writeRate: writeRate() })
  }
  const metered = createMeteredWrite({
    documentClient,
    tableName,
    batchWrite: runtime.batchWrite,
    limiter: createWriteRateLimiter({
      maxWcu: runtime.maxWcu,
      now: runtime.limiterNow,
      sleep: runtime.sleep,
    }),
    backoff: runtime.throttleBackoff,
    sleep: runtime.sleep,
    beforeRetry: assertHeld,
    // The progress line says so at once: a throttled run that looks stuck is not.
    onThrottled: () => report(lastPhase),
  })
  const writeRate = () => metered.stats(runtime.maxWcu)

  const write = async ({ puts = [], deletes = [] }: { puts?: WriteRequest[]; deletes?: WriteRequest[] }) => {
    writes.puts += puts.length
    writes.deletes += deletes.length
    if (dryRun) return
    // Puts before deletes: a crash between them leaves both copies, never neither.
    await metered.write(puts)
    await metered.write(deletes)
  }
  const afterCheckpoint = async ({ phase, segment }: { phase: string; segment: number }) => {
    if (dryRun) return
    run.checkpointCount.value++
    await runtime.afterCheckpoint?.({ ...ids, direction, phase, segment, count: run.checkpointCount.value })
  }

  // The toolbox table and entities come from the data layer's table store (the repository keeps them to itself).
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
    now: runtime.now,
    startedAt: run.startedAt,
    options: runtime.migrationOptions,
    env: runtime.env,
    scanRewrite: (spec) =>
      scanRewrite(
        {
          table,
          write,
          progress,
          dryRun,
          segments: run.segments,
          pageSize: runtime.pageSize,
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
    detail(name, value) {
      details[name] = value
    },
  }
  return { context, notices, details, writes, writeRate, assertHeld }
}
