/**
 * The migration toolkit (package export `chatdb/migrator`): the migrator, its ledger stores,
 * the types a migration is written against and the batch writes a migration's own code may
 * need. chatdb's shipped migrations are a subpath of their own, `chatdb/migrations`: they are
 * written against this toolkit, so it does not import them.
 *
 * @example
 * import { createMigrator, type Migration } from 'chatdb/migrator'
 * import { migrations } from 'chatdb/migrations'
 */
export {
  BATCH_WRITE_LIMIT,
  type BatchWriteOptions,
  type WriteRequest,
  writeInBatches,
} from '../repository/batchWrite.js'
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
