export { migrationChecksum } from './checksum.js'
export { createDynamoLedger, LEDGER_SORT_PREFIX, ledgerSortKey, MIGRATION_PARTITION } from './dynamoLedger.js'
export { createDynamoLockStore, LOCK_SORT_KEY } from './dynamoLockStore.js'
export { isMigrationError, MigrationError, type MigrationErrorCode } from './errors.js'
export { createMemoryLedger } from './memoryLedger.js'
export { createMemoryLockStore } from './memoryLockStore.js'
export {
  createMigrator,
  type MigrationPlan,
  type Migrator,
  type MigratorOptions,
  type RunOptions,
  type RunReport,
  type StatusReport,
} from './migrator.js'
export type { MigrationState, MigrationStatus } from './plan.js'
export { deleteRequestFor, queryPartition, replaceItem } from './rawItems.js'
export { createMigrationFile } from './scaffold.js'
export type * from './types.js'
