import { SingleBar } from 'cli-progress'
import { label } from '../../src/migrator/errors.js'
import type { RunReport, StatusReport } from '../../src/migrator/migrator.js'
import type { MigrationStatus } from '../../src/migrator/plan.js'
import type { MigrationReporter, MigrationRunResult, WriteRateStats } from '../../src/migrator/types.js'
import { isoTime, type Output } from '../output.js'
import { terminal } from '../terminal.js'

// How `chatdb migrate` shows its work: live progress while it runs, then the run's report or the
// status table. Nothing here decides anything; the migrator has, and `--json` prints its objects.

/**
 * Progress on a terminal: one line per migration with items scanned and changed and items/s
 * (a scan's total is unknown up front, so no bar to fill), WCU written and throttles. Without a
 * terminal: a line whenever writes are throttled (a run backing off is not stuck) and a summary
 * line per migration as it finishes. Notices are printed with the summary, not over the progress line.
 * With `--json` the same figures are in the result's `writeRate`.
 */
export function createReporter(output: Output): MigrationReporter & { stop(): void } {
  const { stderr } = terminal()
  const tty = Boolean(stderr.isTTY) && !output.json
  let bar: SingleBar | undefined
  let started = 0
  let throttledSeen = 0
  const stop = () => {
    bar?.stop()
    bar = undefined
  }
  return {
    migrationStarted(event) {
      started = Date.now()
      if (!tty) return
      bar = new SingleBar({
        stream: stderr,
        format: `${label(event)} ${event.direction}{resumed} {phase}: {scanned} scanned, {changed} changed, {rate} items/s, {wcu}{throttle}`,
        hideCursor: true,
        clearOnComplete: true,
      })
      bar.start(1, 0, {
        phase: '',
        scanned: 0,
        changed: 0,
        rate: 0,
        wcu: '0 WCU',
        throttle: '',
        resumed: event.resumed ? ' (resumed)' : '',
      })
      throttledSeen = 0
    },
    progress(event) {
      const seconds = Math.max(0.001, (Date.now() - started) / 1000)
      const { writeRate } = event
      bar?.update(0, {
        ...event,
        rate: Math.round(event.scanned / seconds),
        wcu: wcuText(writeRate, seconds),
        throttle: writeRate.throttled > 0 ? `, ${throttleText(writeRate)}` : '',
      })
      if (!tty && !output.json && writeRate.throttled > throttledSeen) {
        output.info(`${label(event)}: ${throttleText(writeRate)} so far, backing off and retrying`)
      }
      throttledSeen = writeRate.throttled
    },
    migrationFinished(result) {
      stop()
      if (output.json) return
      output.info(summary(result, Date.now() - started))
    },
    stop,
  }
}

function summary(r: MigrationRunResult, ms: number): string {
  const verb = {
    applied: 'applied',
    'rolled-back': 'rolled back',
    'would-apply': 'would apply',
    'would-roll-back': 'would roll back',
  }[r.outcome]
  const writes = r.dryRun
    ? `would write ${r.puts} puts and ${r.deletes} deletes`
    : `${r.puts} puts, ${r.deletes} deletes`
  const lines = [
    `${label(r)}: ${verb}${r.resumed ? ' (resumed from its checkpoints)' : ''} — ${r.itemsScanned} items scanned, ${r.itemsChanged} ${r.dryRun ? 'to change' : 'changed'} (${writes}) in ${(ms / 1000).toFixed(1)}s`,
  ]
  if (!r.dryRun && (r.writeRate.consumedWcu > 0 || r.writeRate.throttled > 0)) {
    const { maxWcu, limiterWaitMs, throttled } = r.writeRate
    const parts = [wcuText(r.writeRate, ms / 1000)]
    if (maxWcu !== undefined) parts.push(`limit ${maxWcu} WCU/s, held back ${seconds(limiterWaitMs)}`)
    if (throttled > 0) parts.push(throttleText(r.writeRate))
    lines.push(`  writes: ${parts.join('; ')}`)
  }
  for (const notice of r.notices) lines.push(`  ${notice}`)
  return lines.join('\n')
}

/** `1234 WCU (98 WCU/s)`: what the writes consumed, and the average rate over `elapsed` seconds. */
function wcuText({ consumedWcu }: WriteRateStats, elapsed: number): string {
  return `${Math.round(consumedWcu)} WCU (${Math.round(consumedWcu / Math.max(0.001, elapsed))} WCU/s)`
}

/** `throttled 3×, waited 4.2 s`. */
function throttleText({ throttled, backoffMs }: WriteRateStats): string {
  return `throttled ${throttled}×, waited ${seconds(backoffMs)}`
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

/** The closing lines of `migrate up`/`down`: what ran, and what `--to` left unapplied. */
export function renderReport(report: RunReport): string {
  const lines: string[] = []
  if (report.acceptedDrift.length > 0) {
    lines.push(`accepted the changed checksum of version(s) ${report.acceptedDrift.join(', ')}`)
  }
  const target = report.to === undefined ? '' : ` ${String(report.to).padStart(3, '0')}`
  if (report.results.length === 0) {
    lines.push(
      report.direction === 'down'
        ? `nothing to roll back${target && ` after version${target}`}`
        : report.to === undefined
          ? 'nothing to migrate: every migration is applied'
          : `nothing to migrate up to version${target}: it and every migration before it are applied`,
    )
  } else if (report.dryRun) {
    lines.push('dry run: nothing was written')
  } else {
    lines.push(
      `${report.results.length} migration(s) ${report.direction === 'up' ? 'applied' : 'rolled back'}`,
    )
  }
  // `--to` stopped short of migrations that are not applied: say so, whatever was run.
  if (report.notApplied.length > 0) {
    lines.push(
      `not applied after version${target}: ${report.notApplied.join(', ')} (\`chatdb migrate up\` applies them)`,
    )
  }
  return lines.join('\n')
}

/** `migrate status`: one row per migration, then drift, failures, unknown versions and the lock. */
export function renderStatus(output: Output) {
  return (status: StatusReport): string => {
    const rows = status.migrations.map((m: MigrationStatus) => [
      String(m.version).padStart(3, '0'),
      m.name,
      m.resumable ? `${m.state} (resumable)` : m.state,
      isoTime(m.ledger?.finishedAt ?? m.ledger?.startedAt),
      m.ledger?.ranBy,
      m.ledger?.itemsScanned,
      m.ledger?.itemsChanged,
      m.checksum.slice(0, 12),
    ])
    const lines = [
      output.table(['version', 'name', 'state', 'when', 'by', 'scanned', 'changed', 'checksum'], rows),
    ]
    for (const entry of status.unknown) {
      lines.push(
        `ledger has version ${entry.version} (${entry.name}, ${entry.status}) that this code does not list`,
      )
    }
    for (const m of status.migrations) {
      if (m.state === 'drifted') {
        lines.push(
          `${label(m)} changed since it was applied (ledger ${m.ledger?.checksum.slice(0, 12)}): up refuses without --force`,
        )
      }
      if (m.ledger?.error && m.state === 'failed') lines.push(`${label(m)}: ${m.ledger.error}`)
    }
    lines.push(
      status.lock
        ? `locked by ${status.lock.owner} since ${isoTime(status.lock.acquiredAt)}${status.lock.expired ? ' (lease expired: --force-unlock takes it over)' : ''}`
        : 'not locked',
    )
    return lines.join('\n')
  }
}
