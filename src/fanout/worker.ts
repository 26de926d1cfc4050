import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch'
import { ChatDbError } from '../errors.js'
import type { ServiceLogger } from '../log/jsonLogger.js'
import { createJsonLogger, describeError } from '../log/jsonLogger.js'
import type { Broadcaster } from '../protocol/delivery.js'
import type { SqsBatchResponse, SqsEvent, SqsRecord } from '../queue/sqsEvents.js'
import type { QueuePort } from '../queue/types.js'
import { withBackoff } from '../util/backoff.js'
import { chunk, sleep } from '../util/concurrency.js'
import { isNetworkFailure } from '../util/networkFailure.js'
import { type FanOutJob, parseQueuedJob, type RetryJob } from './jobs.js'
import { publishJobs } from './publisher.js'
import { type RoomStatsStore, runTrailingStats } from './roomStats.js'

/** Connection ids per retry job: ~40 bytes each, so a job stays far below 256 KiB with its frame. */
const RETRY_TARGETS_PER_JOB = 2_000

export interface FanOutWorkerOptions {
  /**
   * Posts frames (the same broadcaster as the routes: 410 → the connection is removed), or the
   * broadcaster of a job: the Lambda handler keeps one per `@connections` endpoint (`job.endpoint`).
   * A function that throws fails the job's record.
   */
  broadcaster: Broadcaster | ((job: FanOutJob) => Broadcaster)
  /** The connections subscribed to one shard of a room. */
  targetsOf: (roomName: string, shard: number) => Promise<string[]>
  /** Where a job's undelivered posts go as a retry job. */
  queue: QueuePort
  /** Reads and claims a large room's `roomStats`: what a trailing `roomStats` job needs (`runTrailingStats`). */
  roomStats?: RoomStatsStore
  logger?: ServiceLogger
  /** Rounds of retrying throttled or failed posts inside one invocation (default 2). */
  retryRounds?: number
  /** Backoff before the first retry round, doubled each round, with full jitter (default 250 ms). */
  retryBackoffMs?: number
  /** For tests: how to wait. */
  wait?: (ms: number) => Promise<void>
}

/**
 * A post worth trying again: throttled by API Gateway's account-wide quota (429,
 * `LimitExceededException`), a server error, or a network failure. Anything else (a 400, a 403)
 * would fail the same way again.
 */
export function isRetryablePostFailure(error: unknown): boolean {
  const { name, $metadata } = (error ?? {}) as { name?: string; $metadata?: { httpStatusCode?: number } }
  const status = $metadata?.httpStatusCode ?? 0
  return (
    status === 429 ||
    status >= 500 ||
    name === 'LimitExceededException' ||
    name === 'TooManyRequestsException' ||
    name === 'ThrottlingException' ||
    isNetworkFailure(error)
  )
}

/**
 * The fan-out worker of large rooms: a Lambda handler for an SQS event source mapping with
 * `ReportBatchItemFailures`. Each record is one job: it reads the job's shard (or takes its
 * named connections), posts the frame through the broadcaster (gone connections are removed
 * by it), retries throttled posts with backoff, and hands what is still undelivered to one
 * retry job on the queue. A job that cannot be done — unreadable shard, a retry job whose
 * posts fail again, a retry job the queue refuses — fails its record alone: SQS delivers it
 * again, and after the queue's `maxReceiveCount` moves it to the dead-letter queue.
 * Delivery is at least once: a redelivered job posts to its whole shard again, and clients
 * drop duplicates by message id.
 *
 * @example
 * const worker = createFanOutWorker({ broadcaster, queue, targetsOf: repository.shardSubscribers })
 * export const handler = worker.handler
 */
export function createFanOutWorker(options: FanOutWorkerOptions) {
  const {
    broadcaster,
    targetsOf,
    queue,
    logger = createJsonLogger(),
    retryRounds = 2,
    retryBackoffMs = 250,
    wait = sleep,
  } = options

  /** Posts `frame` to `connectionIds`; answers the ones still undelivered after the retries. */
  async function deliver(job: FanOutJob, connectionIds: string[]): Promise<string[]> {
    if (connectionIds.length === 0) return []
    const posting = typeof broadcaster === 'function' ? broadcaster(job) : broadcaster
    let pending = connectionIds
    return withBackoff(
      async () => {
        const { failed } = await posting.post(
          pending.map((connectionId) => ({ connectionId, frame: job.frame })),
        )
        const retryable = failed.filter(({ error }) => isRetryablePostFailure(error))
        if (retryable.length < failed.length) {
          logger.warn('fanout.postsDropped', {
            roomName: job.roomName,
            count: failed.length - retryable.length,
            error: describeError(failed.find(({ error }) => !isRetryablePostFailure(error))?.error),
          })
        }
        pending = retryable.map(({ connectionId }) => connectionId)
        return pending
      },
      {
        policy: { baseMs: retryBackoffMs, jitter: 'full' },
        maxAttempts: retryRounds + 1,
        retryResult: (undelivered) => undelivered.length > 0,
        sleep: wait,
      },
    )
  }

  async function processRecord(record: SqsRecord): Promise<void> {
    const job = parseQueuedJob(record.body)
    if (job.kind === 'roomStats') {
      if (!options.roomStats)
        throw new ChatDbError('store.config', 'this fan-out worker has no repository for roomStats jobs')
      await runTrailingStats(job, { store: options.roomStats, queue })
      return
    }
    const connectionIds = job.kind === 'shard' ? await targetsOf(job.roomName, job.shard) : job.connectionIds
    const undelivered = await deliver(job, connectionIds)
    if (undelivered.length === 0) return
    if (job.attempt > 0) {
      // A retry that failed again: SQS's redelivery (and dead-letter queue) take it from here.
      throw new Error(`${undelivered.length} post(s) of a retry job in room "${job.roomName}" failed again`)
    }
    const { v, roomName, frame, endpoint } = job
    const retries = chunk(undelivered, RETRY_TARGETS_PER_JOB).map(
      (connectionIds): RetryJob => ({
        v,
        kind: 'retry',
        roomName,
        connectionIds,
        frame,
        attempt: 1,
        ...(endpoint ? { endpoint } : {}),
      }),
    )
    await publishJobs(queue, retries)
    logger.warn('fanout.retryQueued', { roomName: job.roomName, count: undelivered.length })
  }

  return {
    /** The SQS event source handler: answers the records to deliver again. */
    async handler(event: SqsEvent): Promise<SqsBatchResponse> {
      const response = await processPartialResponse(
        event,
        async (record: SqsRecord) => {
          try {
            await processRecord(record)
          } catch (error) {
            logger.error('fanout.jobFailed', { messageId: record.messageId, error: describeError(error) })
            throw error
          }
        },
        // One per call: a processor keeps the batch's state, and a local poller runs several at once.
        new BatchProcessor(EventType.SQS),
        // A batch whose every record failed is answered like any other (all of them named), not
        // thrown: SQS takes them back the same way, without an invocation error in the logs.
        { throwOnFullBatchFailure: false },
      )
      return {
        batchItemFailures: response.batchItemFailures.map(({ itemIdentifier }) => ({ itemIdentifier })),
      }
    },
  }
}
