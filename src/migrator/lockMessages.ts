import { MigrationError } from './errors.js'
import type { LockInfo } from './types.js'

/** The error a second `migrate up` gets: who holds the lock, since when, and what to do. */
export function lockedError(lock: LockInfo, now: number): MigrationError {
  const since = new Date(lock.acquiredAt).toISOString()
  const expired = lock.leaseUntil < now
  const hint = expired
    ? `its lease expired at ${new Date(lock.leaseUntil).toISOString()} (the run probably died): rerun with --force-unlock to take it over`
    : `lease until ${new Date(lock.leaseUntil).toISOString()}; wait for that run to finish`
  return new MigrationError(
    'migration.locked',
    `migrations are locked by ${lock.owner} since ${since}; ${hint}`,
  )
}
