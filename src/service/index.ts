export { createJsonLogger, describeError } from '../log/jsonLogger.js'
export {
  type ChatService,
  type ChatServiceOptions,
  type ChatServiceRepository,
  createChatService,
  type RequestInfo,
  type RouteOutcome,
} from './chatService.js'
export type {
  Broadcaster,
  BroadcastReport,
  Delivery,
  LargeRoom,
  LargeRoomPublisher,
  ServiceLogger,
} from './types.js'
