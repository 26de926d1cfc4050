import type { LedgerEntry, MigrationLedger } from './types.js'

/**
 * A ledger in memory, for unit tests: the same contract as the DynamoDB one
 * (test/support/ledgerContract.ts runs against both).
 *
 * @example
 * const migrator = createMigrator({ documentClient, migrations, ledger: createMemoryLedger(), lockStore: createMemoryLockStore() })
 */
export function createMemoryLedger(initial: LedgerEntry[] = []): MigrationLedger & {
  /** Every write the ledger received, for assertions. */
  writes(): number
} {
  const entries = new Map<number, LedgerEntry>(
    initial.map((entry) => [entry.version, structuredClone(entry)]),
  )
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
      entries.set(entry.version, withoutUndefined(entry))
    },
    async unlog(version, run) {
      writes++
      const entry = entries.get(version)
      if (entry) entries.set(version, { ...entry, ...run, status: 'rolled-back', checkpoints: {} })
    },
    async saveCheckpoints(version, progress) {
      writes++
      const entry = entries.get(version)
      if (entry) entries.set(version, { ...entry, ...withoutUndefined(progress) })
    },
  }
}

/** A deep copy without undefined values, as the DynamoDB ledger stores it. */
function withoutUndefined<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}
