import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { parseQueuedJob, type QueuedJob } from '../../src/fanout/jobs.js'
import { createFanOutHandler } from '../../src/lambda/fanOutHandler.js'
import { createJsonLogger } from '../../src/log/jsonLogger.js'
import { createMemoryQueue, type MemoryQueue } from '../../src/queue/memoryQueue.js'
import { startQueuePoller } from '../../src/queue/queuePoller.js'

/** SQS's default visibility timeout, and the local queue's. */
export const LOCAL_FANOUT_VISIBILITY_TIMEOUT_MS = 30_000
/** Receives of a job before it is dead-lettered: the template's `FanOutMaxReceiveCount` default. */
export const LOCAL_FANOUT_MAX_RECEIVE_COUNT = 5

export interface LocalFanOutOptions {
  documentClient: DynamoDBDocumentClient
  tableName: string
  /** The gateway's own `@connections` API: the only endpoint its fan-out worker posts to. */
  managementEndpoint: string
  /** How long a received job stays invisible unless done (default 30,000 ms, as SQS). */
  visibilityTimeoutMs?: number
  /** Receives after which a job goes to the dead-letter queue (default 5). */
  maxReceiveCount?: number
  postConcurrency?: number
  managementMaxSockets?: number
  /** Warnings: dead-lettered jobs, failed invocations. */
  warn: (line: string) => void
}

/** The local fan-out: what `startGateway` exposes as `gateway.fanOut`. */
export interface LocalFanOut {
  /** The fan-out queue the router publishes large rooms' broadcasts to. */
  queue: MemoryQueue
  /** Jobs received `maxReceiveCount` times without success. */
  deadLetters: MemoryQueue
  visibilityTimeoutMs: number
  maxReceiveCount: number
}

/**
 * What a dead-lettered job was, in words, whatever its body: JSON-quoted, so a room name or a
 * stray body prints as one safe line.
 */
function describeJob(body: string): string {
  let job: QueuedJob
  try {
    job = parseQueuedJob(body)
  } catch {
    return `an unreadable fan-out job (${JSON.stringify(body.slice(0, 60))})`
  }
  if (job.kind === 'roomStats') return `a trailing roomStats job of room ${JSON.stringify(job.roomName)}`
  const targets = job.kind === 'retry' ? `${job.connectionIds.length} connection(s)` : `shard ${job.shard}`
  return `a fan-out job of room ${JSON.stringify(job.roomName)} (${targets}, attempt ${job.attempt})`
}

/** Dead-lettered jobs the operator view lists (the most recent last). */
const LISTED_DEAD_LETTERS = 20

/**
 * The local fan-out's state for the operator view (`/inspect/api/fanout`): the settings, each
 * queue's visible and in-flight jobs, and what the dead-lettered jobs were (not their frames:
 * those are users' messages, shown by the room views already).
 */
export function describeLocalFanOut(fanOut: LocalFanOut) {
  const deadBodies = fanOut.deadLetters.bodies()
  return {
    visibilityTimeoutMs: fanOut.visibilityTimeoutMs,
    maxReceiveCount: fanOut.maxReceiveCount,
    queue: fanOut.queue.stats(),
    deadLetters: {
      ...fanOut.deadLetters.stats(),
      jobs: deadBodies.slice(-LISTED_DEAD_LETTERS).map(describeJob),
    },
  }
}

/**
 * The fan-out queue and worker of `chatdb serve`/`dev`, in process: a memory queue with SQS's
 * semantics and a dead-letter queue, and the fan-out worker of the Lambda (`createFanOutHandler`:
 * the shard's subscribers from the repository, posts through this gateway's `@connections` API,
 * gone connections removed) run by a poller as Lambda's event source mapping would run it.
 * Queued jobs live in memory: stopping the gateway drops those not yet done, as it drops
 * everything else it holds.
 *
 * @example
 * const fanOut = startLocalFanOut({ documentClient, tableName, managementEndpoint, warn: console.warn })
 * createRouter({ documentClient, fanOutQueue: fanOut.queue })
 * // …
 * await fanOut.stop()
 */
export function startLocalFanOut(options: LocalFanOutOptions): LocalFanOut & { stop(): Promise<void> } {
  const {
    visibilityTimeoutMs = LOCAL_FANOUT_VISIBILITY_TIMEOUT_MS,
    maxReceiveCount = LOCAL_FANOUT_MAX_RECEIVE_COUNT,
    warn,
  } = options
  const dlq = createMemoryQueue({ name: 'fanout-dlq' })
  // The dead-letter queue, telling the terminal about each job it takes: nobody watches a local
  // dead-letter queue, and a job there is a broadcast some members never got.
  const deadLetters: MemoryQueue = {
    ...dlq,
    accept(message) {
      dlq.accept(message)
      warn(
        `warning fanout.deadLetter: ${describeJob(message.body)} was received ${maxReceiveCount} times without success and is in the dead-letter queue`,
      )
    },
  }
  const queue = createMemoryQueue({
    name: 'fanout',
    visibilityTimeoutMs,
    maxReceiveCount,
    deadLetterQueue: deadLetters,
  })
  const worker = createFanOutHandler({
    documentClient: options.documentClient,
    tableName: options.tableName,
    queue,
    managementEndpoint: options.managementEndpoint,
    region: 'local',
    // The local @connections API checks no signature; these let the SDK sign without an AWS profile.
    managementCredentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    postConcurrency: options.postConcurrency,
    managementMaxSockets: options.managementMaxSockets,
    logger: createJsonLogger(),
    // A terminal, not CloudWatch: no EMF, as for the gateway's router.
    metrics: false,
  })
  const poller = startQueuePoller({
    queue,
    handler: worker.handler,
    // Short long polls: stopping waits for the one in flight.
    waitTimeMs: 100,
    onError: (error) =>
      warn(
        `warning fanout.invocationFailed: ${error instanceof Error ? error.message : String(error)}; its jobs come back after ${visibilityTimeoutMs} ms`,
      ),
  })
  let stopping: Promise<void> | undefined
  return {
    queue,
    deadLetters,
    visibilityTimeoutMs,
    maxReceiveCount,
    stop() {
      stopping ??= poller.stop().then(() => worker.close())
      return stopping
    },
  }
}
