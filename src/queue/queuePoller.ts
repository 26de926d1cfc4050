import { createHash } from 'node:crypto'
import { sleep } from '../util/concurrency.js'
import type { SqsBatchResponse, SqsEvent, SqsRecord } from './sqsEvents.js'
import type { QueuePort, ReceivedMessage } from './types.js'

export interface QueuePollerOptions {
  queue: QueuePort
  /** The function an SQS event source mapping would invoke. */
  handler: (event: SqsEvent) => Promise<SqsBatchResponse | undefined>
  /** Messages per invocation, 1–10 (default 10). */
  batchSize?: number
  /** Invocations at once (default 2). */
  concurrency?: number
  /** Long poll of each receive (default 1,000 ms). */
  waitTimeMs?: number
  /** Called when an invocation throws (its whole batch returns to the queue). */
  onError?: (error: unknown) => void
  /** The ARN and region the records claim to come from. */
  eventSourceArn?: string
  region?: string
}

export interface QueuePoller {
  /** Stops polling, and resolves once the invocations in flight have finished. */
  stop(): Promise<void>
}

export function toSqsRecord(message: ReceivedMessage, eventSourceArn: string, region: string): SqsRecord {
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(message.sentAt),
      SenderId: 'chatdb',
      ApproximateFirstReceiveTimestamp: String(message.sentAt),
    },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(message.body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: eventSourceArn,
    awsRegion: region,
  }
}

/**
 * What Lambda's SQS event source mapping does, in process: long-polls the queue, invokes
 * `handler` with batches of records, deletes the records of an invocation that succeeded
 * except those it names in `batchItemFailures` (ReportBatchItemFailures), and deletes nothing
 * of an invocation that threw: those messages come back after their visibility timeout, and
 * after the queue's `maxReceiveCount` they go to its dead-letter queue. Used by `chatdb serve`
 * and `dev` to run the fan-out worker, and by the tests.
 *
 * @example
 * const poller = startQueuePoller({ queue, handler: fanOutWorker })
 * // …
 * await poller.stop()
 */
export function startQueuePoller(options: QueuePollerOptions): QueuePoller {
  const {
    queue,
    handler,
    batchSize = 10,
    concurrency = 2,
    waitTimeMs = 1_000,
    onError = () => {},
    eventSourceArn = `arn:aws:sqs:local:000000000000:${queue.name}`,
    region = 'local',
  } = options
  let running = true

  async function invoke(messages: ReceivedMessage[]) {
    const records = messages.map((message) => toSqsRecord(message, eventSourceArn, region))
    let response: SqsBatchResponse | undefined
    try {
      response = await handler({ Records: records })
    } catch (error) {
      onError(error)
      return
    }
    const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier))
    const done = records.filter((record) => !failed.has(record.messageId)).map((r) => r.receiptHandle)
    if (done.length > 0) await queue.deleteBatch(done)
  }

  async function loop() {
    while (running) {
      try {
        const messages = await queue.receive({ maxMessages: batchSize, waitTimeMs })
        if (messages.length > 0) await invoke(messages)
      } catch (error) {
        onError(error)
        // A queue that is down is asked again, not hammered.
        await sleep(Math.min(waitTimeMs, 1_000))
      }
    }
  }

  const loops = Array.from({ length: Math.max(1, concurrency) }, loop)
  return {
    async stop() {
      running = false
      await Promise.all(loops)
    },
  }
}
