export { createMemoryQueue, type MemoryQueue, type MemoryQueueOptions } from './memoryQueue.js'
export { type QueuePoller, type QueuePollerOptions, startQueuePoller } from './queuePoller.js'
export type { SqsBatchResponse, SqsEvent, SqsRecord } from './sqsEvents.js'
export { createSqsQueue, type SqsQueueOptions } from './sqsQueue.js'
export {
  MAX_QUEUE_BATCH,
  MAX_QUEUE_BATCH_BYTES,
  type OutgoingMessage,
  type QueuePort,
  type ReceivedMessage,
  type ReceiveOptions,
  type SendBatchResult,
} from './types.js'
