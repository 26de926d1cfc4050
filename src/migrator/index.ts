/**
 * The migration toolkit (package export `chatdb/migrator`): the migrator, its ledger stores,
 * the types a migration is written against, and also chatdb's shipped `migrations` and the
 * batch writes a migration's own code may need, so a project's migrations import from one place.
 *
 * @example
 * import { createMigrator, type Migration, migrations } from 'chatdb/migrator'
 */
export { migrations } from '../../migrations/index.js'
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
