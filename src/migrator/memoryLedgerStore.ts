import { lockedError } from './lockMessages.js'
import type { LedgerEntry, LedgerStore, LockInfo } from './types.js'

/**
 * A ledger store in memory, for unit tests and for dry runs of code that wants a store.
 * Behaves like the DynamoDB one, lock semantics included.
 *
 * @example
 * const migrator = createMigrator({ documentClient, migrations, store: createMemoryLedgerStore() })
 */
export function createMemoryLedgerStore(initial: LedgerEntry[] = []): LedgerStore & {
  /** Every write the store received, for assertions. */
  writes(): number
} {
  const entries = new Map<number, LedgerEntry>(
    initial.map((entry) => [entry.version, structuredClone(entry)]),
  )
  let lock: LockInfo | undefined
  let writes = 0

  return {
    writes: () => writes,
    async executed() {
      return [...entries.values()]
        .sort((a, b) => a.version - b.version)
        .map((entry) => structuredClone(entry))
    },
    async log(entry) {
      writes++
      entries.set(entry.version, structuredClone(entry))
    },
    async unlog(version, run) {
      writes++
      const entry = entries.get(version)
      if (entry) entries.set(version, { ...entry, ...run, status: 'rolled-back', checkpoints: {} })
    },
    async saveProgress(version, progress) {
      writes++
      const entry = entries.get(version)
      if (entry) entries.set(version, { ...entry, ...structuredClone(progress) })
    },
    async acquireLock({ owner, now, leaseMs, takeOverExpired }) {
      writes++
      if (lock && !(takeOverExpired && lock.leaseUntil < now)) throw lockedError(lock, now)
      lock = { owner, acquiredAt: now, leaseUntil: now + leaseMs }
      return { ...lock }
    },
    async renewLock(owner, leaseUntil) {
      writes++
      if (lock?.owner !== owner) return false
      lock = { ...lock, leaseUntil }
      return true
    },
    async releaseLock(owner) {
      writes++
      if (lock?.owner === owner) lock = undefined
    },
    async readLock() {
      return lock && { ...lock }
    },
  }
}
