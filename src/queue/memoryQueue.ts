import { randomUUID } from 'node:crypto'
import { ChatDbError } from '../errors.js'
import { checkBatch, checkMaxMessages } from './batchLimits.js'
import { refusedBySqs } from './queueText.js'
import type { OutgoingMessage, QueuePort, ReceivedMessage, ReceiveOptions, SendBatchResult } from './types.js'
import { INVALID_MESSAGE_CONTENTS, MAX_QUEUE_BATCH } from './types.js'

export interface MemoryQueueOptions {
  name?: string
  /** How long a received message stays invisible unless deleted (default 30,000 ms, as SQS). */
  visibilityTimeoutMs?: number
  /** Receives after which a message goes to `deadLetterQueue` instead (default: never). */
  maxReceiveCount?: number
  /** Where messages go after `maxReceiveCount` receives; without it they are dropped. */
  deadLetterQueue?: MemoryQueue
  /** Epoch ms now (tests pass a fake clock). */
  clock?: () => number
  /** Picks the order of a receive (tests pass a seeded one); default Math.random. */
  random?: () => number
}

interface Stored {
  messageId: string
  body: string
  sentAt: number
  receiveCount: number
  visibleAt: number
  /** The latest delivery's handle; older handles delete nothing. */
  receiptHandle?: string
}

export interface MemoryQueue extends QueuePort {
  /** Messages waiting (visible), and delivered but not yet deleted or still delayed (in flight). */
  stats(): { visible: number; inFlight: number }
  /** Every message still held (visible or in flight), for tests and the operator view. */
  bodies(): string[]
  /** Accepts a message as SQS would (used to move dead letters here). */
  accept(message: { body: string; sentAt: number }): void
}

/**
 * An in-process queue with the semantics of an SQS standard queue that code relies on:
 * batches of at most 10 and 256 KiB (refused whole), bodies of SQS's characters only (an entry
 * with another fails alone, `InvalidMessageContents`), at-least-once delivery in no fixed order (each receive
 * takes a random sample of the visible messages), redelivery after the visibility timeout,
 * deletes by the latest receipt handle only, a dead-letter queue after `maxReceiveCount`
 * receives, and a message's delay (`delayMs`, SQS's `DelaySeconds`) before its first delivery.
 * What it leaves out: message attributes, FIFO, persistence (a restart loses what was queued,
 * as `chatdb serve`'s other in-memory state).
 *
 * @example
 * const deadLetters = createMemoryQueue({ name: 'fanout-dlq' })
 * const queue = createMemoryQueue({ name: 'fanout', maxReceiveCount: 5, deadLetterQueue: deadLetters })
 */
export function createMemoryQueue(options: MemoryQueueOptions = {}): MemoryQueue {
  const {
    name = 'memory',
    visibilityTimeoutMs = 30_000,
    maxReceiveCount,
    deadLetterQueue,
    clock = Date.now,
    random = Math.random,
  } = options
  if (maxReceiveCount !== undefined && (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1)) {
    throw new ChatDbError(
      'queue.badOption',
      `maxReceiveCount must be a positive integer, not ${maxReceiveCount}`,
    )
  }
  const messages = new Map<string, Stored>()
  // Long polls waiting for a send; each is woken once.
  let waiting: (() => void)[] = []

  const wake = () => {
    const woken = waiting
    waiting = []
    for (const resolve of woken) resolve()
  }

  const accept = ({ body, sentAt, delayMs = 0 }: { body: string; sentAt: number; delayMs?: number }) => {
    const messageId = randomUUID()
    messages.set(messageId, {
      messageId,
      body,
      sentAt,
      receiveCount: 0,
      visibleAt: delayMs > 0 ? sentAt + delayMs : 0,
    })
  }

  /** Up to `max` visible messages, sampled at random (SQS standard queues keep no order). */
  function takeVisible(max: number, visibilityMs: number): ReceivedMessage[] {
    const now = clock()
    const visible: Stored[] = []
    for (const stored of messages.values()) if (stored.visibleAt <= now) visible.push(stored)
    for (let i = visible.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      ;[visible[i], visible[j]] = [visible[j] as Stored, visible[i] as Stored]
    }
    const received: ReceivedMessage[] = []
    for (const stored of visible) {
      if (received.length === max) break
      if (maxReceiveCount !== undefined && stored.receiveCount >= maxReceiveCount) {
        // Received too often without being deleted: a poison message, kept for an operator.
        messages.delete(stored.messageId)
        deadLetterQueue?.accept(stored)
        continue
      }
      stored.receiveCount++
      stored.visibleAt = now + visibilityMs
      stored.receiptHandle = `${stored.messageId}:${stored.receiveCount}:${randomUUID()}`
      received.push({
        messageId: stored.messageId,
        receiptHandle: stored.receiptHandle,
        body: stored.body,
        receiveCount: stored.receiveCount,
        sentAt: stored.sentAt,
      })
    }
    return received
  }

  /** The stored message a handle names, if it is that message's latest delivery. */
  const current = (receiptHandle: string) => {
    const stored = messages.get(receiptHandle.slice(0, receiptHandle.indexOf(':')))
    return stored?.receiptHandle === receiptHandle ? stored : undefined
  }

  return {
    name,

    async sendBatch(batch: readonly OutgoingMessage[]): Promise<SendBatchResult> {
      // Whole-batch refusals (count, size, entry ids) throw, as SQS answers them with an error;
      // a body with a character SQS refuses fails its entry alone, as SQS reports it in `Failed`.
      checkBatch(name, batch)
      const sentAt = clock()
      const failed: SendBatchResult['failed'] = []
      for (const { id, body, delayMs } of batch) {
        const refused = refusedBySqs(body)
        if (refused === undefined) accept({ body, sentAt, delayMs })
        else
          failed.push({
            id,
            code: INVALID_MESSAGE_CONTENTS,
            message: `invalid character ${refused} in the body`,
          })
      }
      wake()
      return { failed }
    },

    async receive({
      maxMessages = MAX_QUEUE_BATCH,
      waitTimeMs = 0,
      visibilityTimeoutMs: visibility,
    }: ReceiveOptions = {}) {
      const max = checkMaxMessages(maxMessages)
      const visibilityMs = visibility ?? visibilityTimeoutMs
      const deadline = Date.now() + waitTimeMs
      for (;;) {
        const received = takeVisible(max, visibilityMs)
        const left = deadline - Date.now()
        if (received.length > 0 || left <= 0) return received
        // Wait for a send, or poll again soon for messages whose visibility runs out.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 25))
          waiting.push(() => {
            clearTimeout(timer)
            resolve()
          })
        })
      }
    },

    async deleteBatch(receiptHandles: readonly string[]) {
      for (const handle of receiptHandles) {
        const stored = current(handle)
        if (stored) messages.delete(stored.messageId)
      }
    },

    async changeVisibility(receiptHandle: string, timeoutMs: number) {
      const stored = current(receiptHandle)
      if (!stored || stored.visibleAt <= clock()) {
        throw new ChatDbError('queue.notInFlight', `message of handle ${receiptHandle} is not in flight`)
      }
      stored.visibleAt = clock() + timeoutMs
      if (timeoutMs === 0) wake()
    },

    stats() {
      const now = clock()
      let visible = 0
      for (const stored of messages.values()) if (stored.visibleAt <= now) visible++
      return { visible, inFlight: messages.size - visible }
    },

    bodies: () => [...messages.values()].map((stored) => stored.body),

    accept(message) {
      accept(message)
      wake()
    },
  }
}
