import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { ChatDbError } from '../errors.js'
import type { FanOutJob } from '../fanout/jobs.js'
import { createFanOutWorker } from '../fanout/worker.js'
import type { SqsBatchResponse, SqsEvent } from '../queue/sqsEvents.js'
import type { QueuePort } from '../queue/types.js'
import { createChatRepository } from '../repository/chatRepository.js'
import { createBroadcaster } from '../service/broadcaster.js'
import type { Broadcaster, ServiceLogger } from '../service/types.js'
import { DEFAULT_TABLE_NAME } from '../table.js'
import { createLambdaLogger } from './lambdaLogger.js'
import { createManagementPool, type ManagementPoolOptions } from './managementClient.js'

/** The worker's options; the `@connections` settings are the {@link ManagementPoolOptions}. */
export interface FanOutHandlerOptions extends ManagementPoolOptions {
  documentClient: DynamoDBDocumentClient
  /** Default `chat`. */
  tableName?: string
  /** The fan-out queue: where the retry jobs of undelivered posts go. */
  queue: QueuePort
  /**
   * The `@connections` endpoint of jobs that carry none (`job.endpoint` wins): an SQS event,
   * unlike an API Gateway one, does not say which API to post to.
   */
  managementEndpoint?: string
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
 * broadcaster per `@connections` endpoint posts (made on first use and kept, like the router's),
 * and a gone connection (410) is removed with `removeConnection`. What a job cannot deliver goes
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
  const pool = createManagementPool(options)
  const repository = createChatRepository({ documentClient, tableName })
  const broadcasters = new Map<string, Broadcaster>()

  function broadcasterFor(job: FanOutJob): Broadcaster {
    const endpoint = job.endpoint ?? options.managementEndpoint
    if (!endpoint) {
      throw new ChatDbError(
        'validation.option',
        `a fan-out job of room "${job.roomName}" names no endpoint and CHATDB_MANAGEMENT_ENDPOINT is unset`,
      )
    }
    let broadcaster = broadcasters.get(endpoint)
    if (!broadcaster) {
      broadcaster = createBroadcaster({
        client: pool.clientFor(endpoint),
        // Nobody to announce the departure to from here: the subscriptions go, and the room's
        // listing is settled by removeConnection as at `$disconnect`.
        onGone: async (connectionId) => {
          await repository.removeConnection(connectionId)
        },
        concurrency: pool.postConcurrency,
        logger,
      })
      broadcasters.set(endpoint, broadcaster)
    }
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
      broadcasters.clear()
    },
  }
}

export type FanOutHandler = ReturnType<typeof createFanOutHandler>
