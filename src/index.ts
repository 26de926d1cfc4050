/**
 * chatdb's root export: what backend code needs to read and write a chat table. The table and
 * its entities and keys, the repository, the chat service and its broadcaster, the protocol's
 * frames and `parseAction`, the input rules, the errors and the document client.
 *
 * Everything else lives under a subpath, so that a backend's imports (and its editor's
 * completions) stay this short: `chatdb/lambda` (the API Gateway handlers), `chatdb/migrator`
 * (the migrator, its ledger stores and the types a migration is written against),
 * `chatdb/migrations` (chatdb's shipped migrations) and `chatdb/admin` (the operator functions
 * behind the CLI).
 *
 * @example
 * import { createChatRepository, createDocumentClient, DEFAULT_TABLE_NAME } from 'chatdb'
 * const repository = createChatRepository({ documentClient: createDocumentClient(), tableName: DEFAULT_TABLE_NAME })
 */
export {
  type ClientOptions,
  createDocumentClient,
  DEFAULT_REQUEST_TIMEOUT_MS,
  worstCaseCallMs,
} from './client.js'
export { type Environment, fromEnvironment } from './config/fromEnvironment.js'
export {
  checkOption,
  MAX_USER_HISTORY_SHARDS,
  SETTINGS,
  type Setting,
  type SettingName,
  type Settings,
} from './config/settings.js'
export * from './entities/index.js'
export { ChatDbError, type ChatDbErrorCode, isChatDbError } from './errors.js'
export { createInlinePublisher, type InlinePublisherOptions } from './fanout/inlinePublisher.js'
export { createQueuePublisher, type QueuePublisherOptions } from './fanout/queuePublisher.js'
export * as keys from './keys.js'
// The @connections adapter of the broadcaster port, with the Lambda adapters; here for backend code that posts.
export { type BroadcasterOptions, createBroadcaster, isGone } from './lambda/broadcaster.js'
export * from './protocol/index.js'
export * from './repository/chatRepository.js'
export { type ActiveRoomsPage, DEFAULT_ROOM_PAGE_SIZE } from './repository/roomListing.js'
export type * from './repository/types.js'
export {
  type Broadcaster,
  type BroadcastReport,
  type ChatService,
  type ChatServiceOptions,
  type ChatServiceRepository,
  createChatService,
  createJsonLogger,
  type Delivery,
  type LargeRoom,
  type LargeRoomPublisher,
  type RequestInfo,
  type RouteOutcome,
  type ServiceLogger,
} from './service/index.js'
export { type ChatTable, createTable, DATA_INDEX, DEFAULT_TABLE_NAME, tableDefinition } from './table.js'
export { countRequests, type RequestCounter } from './util/requestCounter.js'
export * from './validation.js'
