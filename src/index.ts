export { migrations } from '../migrations/index.js'
export * from './admin/index.js'
export {
  type ClientOptions,
  createDocumentClient,
  DEFAULT_REQUEST_TIMEOUT_MS,
  worstCaseCallMs,
} from './client.js'
export * from './entities/index.js'
export { ChatDbError, type ChatDbErrorCode, isChatDbError } from './errors.js'
export * as keys from './keys.js'
export * from './migrator/index.js'
export * from './protocol/index.js'
export {
  BATCH_WRITE_LIMIT,
  type BatchWriteOptions,
  type WriteRequest,
  writeInBatches,
} from './repository/batchWrite.js'
export * from './repository/chatRepository.js'
export { createTableStore, type TableStore } from './repository/tableStore.js'
export type * from './repository/types.js'
export * from './service/index.js'
export { type ChatTable, createTable, DATA_INDEX, DEFAULT_TABLE_NAME, tableDefinition } from './table.js'
export { countRequests, type RequestCounter } from './util/requestCounter.js'
export * from './validation.js'
