/**
 * The queue port: what the broadcast fan-out needs of a queue, with SQS's semantics (standard
 * queues): batches of at most 10 messages, at-least-once delivery in no particular order, a
 * received message invisible for a visibility timeout and delivered again unless deleted, and
 * a dead-letter queue after too many receives. Two adapters: `createSqsQueue` (Amazon SQS,
 * `@aws-sdk/client-sqs`) and `createMemoryQueue` (in-process, for `chatdb serve`/`dev` and tests).
 */

/** SQS's limit on the messages of one SendMessageBatch, ReceiveMessage or DeleteMessageBatch. */
export const MAX_QUEUE_BATCH = 10

/**
 * The bytes of one batch's bodies together, and so of one message: 256 KiB, SQS's limit for
 * years and still the default `MaximumMessageSize` of a queue created without one (SQS has
 * taken up to 1 MiB since 2025, but only on queues configured for it).
 */
export const MAX_QUEUE_BATCH_BYTES = 262_144

/** The longest delay a message may be sent with: SQS's `DelaySeconds` goes up to 900. */
export const MAX_QUEUE_DELAY_MS = 900_000

export interface OutgoingMessage {
  /** Tells the entries of one batch apart (1–80 characters: letters, digits, `-`, `_`). */
  id: string
  body: string
  /**
   * Keeps the message invisible this long after the send (0–900,000 ms; SQS counts whole
   * seconds, so the SQS adapter rounds up). Default 0.
   */
  delayMs?: number
}

/**
 * SQS's code for an entry whose body holds a character it does not carry (see `refusedBySqs`):
 * sending it again fails the same way.
 */
export const INVALID_MESSAGE_CONTENTS = 'InvalidMessageContents'

export interface SendBatchResult {
  /** Entries the queue refused; the others were accepted. A caller resends these. */
  failed: { id: string; code: string; message: string }[]
}

export interface ReceivedMessage {
  /** The queue's id of the message: the same on every delivery of it. */
  messageId: string
  /** Names this delivery: a delete or visibility change needs the latest one. */
  receiptHandle: string
  body: string
  /** Deliveries so far, this one included. */
  receiveCount: number
  /** Epoch milliseconds of the send. */
  sentAt: number
}

export interface ReceiveOptions {
  /** 1–10 (default 10). */
  maxMessages?: number
  /** Waits this long for a first message when none is visible (long polling; default 0). */
  waitTimeMs?: number
  /** Overrides the queue's visibility timeout for these deliveries. */
  visibilityTimeoutMs?: number
}

/**
 * @example
 * await queue.sendBatch([{ id: 'shard-0', body: JSON.stringify(job) }])
 * for (const message of await queue.receive({ waitTimeMs: 1_000 })) {
 *   await work(message.body)
 *   await queue.deleteBatch([message.receiptHandle])
 * }
 */
export interface QueuePort {
  /** The queue's name (for logs and errors). */
  readonly name: string
  /** Sends at most 10 messages of at most 256 KiB together; refuses more before sending anything. */
  sendBatch(messages: readonly OutgoingMessage[]): Promise<SendBatchResult>
  receive(options?: ReceiveOptions): Promise<ReceivedMessage[]>
  /**
   * Deletes delivered messages, in batches of 10. A handle older than the message's latest
   * delivery deletes nothing (SQS answers success all the same): the newer delivery is in flight.
   */
  deleteBatch(receiptHandles: readonly string[]): Promise<void>
  /** Makes a delivered message visible again after `timeoutMs` (0: at once). */
  changeVisibility(receiptHandle: string, timeoutMs: number): Promise<void>
}
