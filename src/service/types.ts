import type { ServiceLogger } from '../log/jsonLogger.js'
import type { Broadcaster, LargeRoomPublisher } from '../protocol/delivery.js'
import type { ChatRepository } from '../repository/chatRepository.js'

export type {
  Broadcaster,
  BroadcastReport,
  Delivery,
  LargeRoom,
  LargeRoomPublisher,
} from '../protocol/delivery.js'
export type { ServiceLogger }

/** The repository methods the protocol needs (a fake with these is enough in tests). */
export type ChatServiceRepository = Pick<
  ChatRepository,
  | 'subscribe'
  | 'unsubscribe'
  | 'postMessage'
  | 'removeConnection'
  | 'activeRoomsPage'
  | 'recentMessages'
  | 'markUnfinished'
  | 'markFinished'
> &
  // Only a repository with large rooms (whose answers can be `layout: 'large'`) needs these.
  Partial<Pick<ChatRepository, 'subscriberCounts' | 'claimRoomStats' | 'claimTrailingStats'>>

/** What the service knows of a request; `connectionId` only ever comes from API Gateway's context. */
export interface RequestInfo {
  connectionId: string
  /** API Gateway's request id: makes a retried `sendMessage` idempotent. */
  requestId?: string
  /** When API Gateway received the frame (epoch ms): the message time. */
  requestTimeEpoch?: number
}

/** 200 when the work is done; otherwise the status of the error frame sent to the caller. */
export interface RouteOutcome {
  statusCode: 200 | 400 | 500
}

export interface ChatServiceOptions {
  repository: ChatServiceRepository
  broadcaster: Broadcaster
  /** Messages in a `subscribed` frame (default 50). */
  recentMessagesLimit?: number
  /** Epoch ms, for message times when the request has none (default `Date.now`). */
  clock?: () => number
  logger?: ServiceLogger
  /**
   * How a large room's broadcasts reach its members (docs/data-model.md, "Large rooms"):
   * `createQueuePublisher` (fan-out jobs on the queue the fan-out worker reads) or
   * `createInlinePublisher` (the route posts partition by partition). Without one, a large
   * room's route fails (`store.config`).
   */
  publisher?: LargeRoomPublisher
  /**
   * A large room's `roomStats` (its subscriber count) goes to its members at most once per this
   * many milliseconds while its membership changes (default 30,000).
   */
  roomStatsIntervalMs?: number
}
