import { label, MigrationError } from './errors.js'
import type { LedgerEntry, Migration } from './types.js'

/** Where a migration stands, from its ledger record and its current checksum. */
export type MigrationState = 'pending' | 'applied' | 'drifted' | 'failed' | 'running' | 'rolled-back'

export interface MigrationStatus {
  version: number
  name: string
  description: string
  state: MigrationState
  /** The checksum of the migration as the code has it now. */
  checksum: string
  reversible: boolean
  /** Failed or interrupted with checkpoints saved: the next run in that direction resumes. */
  resumable: boolean
  ledger: LedgerEntry | undefined
}

/** Checks the list the runner is given: versions positive, increasing, names unique. */
export function assertMigrationList(migrations: readonly Migration[]): void {
  const names = new Set<string>()
  let previous = 0
  for (const migration of migrations) {
    if (!Number.isInteger(migration.version) || migration.version <= previous) {
      throw new MigrationError(
        'migration.invalidList',
        `migration versions must be positive integers in increasing order: ${label(migration)} follows version ${previous}`,
      )
    }
    if (names.has(migration.name)) {
      throw new MigrationError('migration.invalidList', `two migrations are named "${migration.name}"`)
    }
    if (typeof migration.up !== 'function') {
      throw new MigrationError('migration.invalidList', `migration ${label(migration)} has no up function`)
    }
    names.add(migration.name)
    previous = migration.version
  }
}

export function stateOf(entry: LedgerEntry | undefined, checksum: string): MigrationState {
  if (!entry) return 'pending'
  if (entry.status === 'applied') return entry.checksum === checksum ? 'applied' : 'drifted'
  return entry.status
}

export function hasCheckpoints(entry: LedgerEntry | undefined): boolean {
  return entry !== undefined && Object.keys(entry.checkpoints ?? {}).length > 0
}

/**
 * A version given on the command line: `2`, `002`, `message-retention`, `002_message-retention`.
 * `0` (before every migration) is accepted where `allowZero` (down --to 0).
 */
export function resolveVersion(
  migrations: readonly Migration[],
  target: number | string,
  { allowZero = false } = {},
): number {
  const text = String(target).trim()
  if (allowZero && /^0+$/.test(text)) return 0
  const found = migrations.find((m) =>
    /^\d+$/.test(text) ? m.version === Number(text) : m.name === text || label(m) === text,
  )
  if (!found) {
    const known = migrations.map(label).join(', ') || 'none'
    throw new MigrationError('migration.unknownVersion', `no migration "${text}" (known: ${known})`)
  }
  return found.version
}

const notApplied = (s: MigrationStatus) => s.state !== 'applied' && s.state !== 'drifted'

/**
 * Which migrations `up` runs (in order), which applied ones drifted, and which later than `to`
 * it leaves unapplied (so that "nothing to do up to `to`" is not mistaken for "all applied").
 */
export function planUp(statuses: readonly MigrationStatus[], to: number | undefined) {
  const inRange = statuses.filter((s) => to === undefined || s.version <= to)
  return {
    targets: inRange.filter(notApplied),
    drifted: inRange.filter((s) => s.state === 'drifted'),
    later: statuses.filter((s) => to !== undefined && s.version > to && notApplied(s)),
  }
}

/** Which migrations `down` rolls back (newest first): the last applied one, or all above `to`. */
export function planDown(statuses: readonly MigrationStatus[], to: number | undefined) {
  const done = statuses.filter((s) => s.state !== 'pending' && s.state !== 'rolled-back').reverse()
  const targets = to === undefined ? done.slice(0, 1) : done.filter((s) => s.version > to)
  const irreversible = targets.filter((s) => !s.reversible)
  if (irreversible.length > 0) {
    throw new MigrationError(
      'migration.irreversible',
      `cannot roll back ${irreversible.map(label).join(', ')}: no down function; nothing was changed`,
    )
  }
  return { targets, drifted: targets.filter((s) => s.state === 'drifted'), later: [] as MigrationStatus[] }
}

export function driftError(drifted: readonly MigrationStatus[]): MigrationError {
  const list = drifted
    .map((s) => `${label(s)} (applied ${s.ledger?.checksum.slice(0, 12)}, now ${s.checksum.slice(0, 12)})`)
    .join(', ')
  return new MigrationError(
    'migration.drifted',
    `applied migrations changed since they ran: ${list}; restore them, or rerun with --force to accept the change`,
  )
}
