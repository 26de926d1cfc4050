import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { ChatDbError } from '../errors.js'
import type { FanOutJob } from '../fanout/jobs.js'
import { createFanOutWorker } from '../fanout/worker.js'
import type { SqsBatchResponse, SqsEvent } from '../queue/sqsEvents.js'
import type { QueuePort } from '../queue/types.js'
import { createChatRepository } from '../repository/chatRepository.js'
import type { Broadcaster, ServiceLogger } from '../service/types.js'
import { DEFAULT_TABLE_NAME } from '../table.js'
import { createBroadcaster } from './broadcaster.js'
import { createLambdaLogger } from './lambdaLogger.js'
import { createManagementPool, type ManagementPoolOptions } from './managementClient.js'
import { type FanOutMetrics, fanOutMetricsFromEnvironment } from './routeMetrics.js'

/**
 * An endpoint as compared: `new URL`'s normal form (scheme and host lower-cased, a default port
 * dropped) without a trailing slash; undefined for anything but an http(s) URL.
 */
function endpointKey(endpoint: string): string | undefined {
  try {
    const url = new URL(endpoint)
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined
    if (url.username || url.password || url.search || url.hash) return undefined
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
  } catch {
    return undefined
  }
}

/** The worker's options; the `@connections` settings are the {@link ManagementPoolOptions}. */
export interface FanOutHandlerOptions extends ManagementPoolOptions {
  documentClient: DynamoDBDocumentClient
  /** Default `chat`. */
  tableName?: string
  /** The fan-out queue: where the retry jobs of undelivered posts go. */
  queue: QueuePort
  /**
   * The `@connections` endpoint the worker posts to, and the only one: the API's own
   * (`https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`, `CHATDB_MANAGEMENT_ENDPOINT`).
   * A job naming another (`job.endpoint`) is refused: its record fails, logged
   * (`fanout.endpointRefused`) and counted (`endpointRefused`); a job naming none posts here.
   */
  managementEndpoint: string
  /**
   * Counts refused jobs; default {@link fanOutMetricsFromEnvironment} (EMF on stdout when
   * `POWERTOOLS_METRICS_NAMESPACE` is set, else none); `false`: none.
   */
  metrics?: FanOutMetrics | false
  /** Default Powertools JSON lines ({@link createLambdaLogger}). */
  logger?: ServiceLogger
  /** Rounds of retrying throttled posts inside one invocation (default 2; see `createFanOutWorker`). */
  retryRounds?: number
  /** Backoff before the first retry round (ms, default 250). */
  retryBackoffMs?: number
}

/**
 * The fan-out worker as a Lambda handler for the fan-out queue's SQS event source mapping
 * (`ReportBatchItemFailures`): the repository's `shardSubscribers` gives a job's targets, one
 * broadcaster posts to `managementEndpoint` (the only endpoint it posts to: a job naming another
 * fails its record), and a gone connection (410) is removed with `removeConnection`. What a job cannot deliver goes
 * back to `queue` as a retry job, or fails its record (see `createFanOutWorker`).
 *
 * @example
 * const worker = createFanOutHandler({
 *   documentClient,
 *   queue: createSqsQueue({ client: createSqsClient(), queueUrl }),
 *   managementEndpoint: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
 * })
 * export const handler = worker.handler
 */
export function createFanOutHandler(options: FanOutHandlerOptions) {
  const { documentClient, tableName = DEFAULT_TABLE_NAME, queue } = options
  const logger = options.logger ?? createLambdaLogger()
  // Checked now: a bad value is a deployment error, not a failure of every job one by one.
  const own = endpointKey(options.managementEndpoint)
  if (own === undefined) {
    throw new ChatDbError(
      'validation.option',
      `managementEndpoint must be the API's http(s) @connections URL, not ${JSON.stringify(options.managementEndpoint)}`,
    )
  }
  const metrics =
    options.metrics === undefined ? fanOutMetricsFromEnvironment() : options.metrics || undefined
  const pool = createManagementPool(options)
  const repository = createChatRepository({ documentClient, tableName })
  let broadcaster: Broadcaster | undefined

  function broadcasterFor(job: FanOutJob): Broadcaster {
    // A job says where to post, but the queue is not proof of who wrote it: the worker posts,
    // SigV4-signed with its own credentials, to its configured endpoint only.
    if (job.endpoint !== undefined && endpointKey(job.endpoint) !== own) {
      logger.error('fanout.endpointRefused', {
        roomName: job.roomName,
        endpoint: job.endpoint.slice(0, 200),
        allowed: options.managementEndpoint,
      })
      metrics?.('endpointRefused')
      throw new ChatDbError(
        'connections.endpointRefused',
        `a fan-out job of room "${job.roomName}" names an endpoint that is not this worker's CHATDB_MANAGEMENT_ENDPOINT`,
      )
    }
    broadcaster ??= createBroadcaster({
      client: pool.clientFor(options.managementEndpoint),
      // Nobody to announce the departure to from here: the subscriptions go, and the room's
      // listing is settled by removeConnection as at `$disconnect`.
      onGone: async (connectionId) => {
        await repository.removeConnection(connectionId)
      },
      concurrency: pool.postConcurrency,
      logger,
    })
    return broadcaster
  }

  const worker = createFanOutWorker({
    broadcaster: broadcasterFor,
    targetsOf: (roomName, shard) => repository.shardSubscribers(roomName, shard),
    queue,
    roomStats: repository,
    logger,
    retryRounds: options.retryRounds,
    retryBackoffMs: options.retryBackoffMs,
  })

  return {
    /** The SQS event source handler: answers the records to deliver again. */
    handler: (event: SqsEvent): Promise<SqsBatchResponse> => worker.handler(event),
    repository,
    /** Releases the management clients (the document client and the queue belong to the caller). */
    close() {
      pool.destroy()
      broadcaster = undefined
    },
  }
}

export type FanOutHandler = ReturnType<typeof createFanOutHandler>
