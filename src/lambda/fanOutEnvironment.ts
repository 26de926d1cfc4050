import { createDocumentClient } from '../client.js'
import { type Environment, fromEnvironment } from '../config/fromEnvironment.js'
import { ChatDbError } from '../errors.js'
import { describeError } from '../log/jsonLogger.js'
import type { SqsBatchResponse, SqsEvent } from '../queue/sqsEvents.js'
import type { ServiceLogger } from '../service/types.js'
import { DEFAULT_TABLE_NAME } from '../table.js'
import { createFanOutHandler, type FanOutHandler } from './fanOutHandler.js'
import {
  FANOUT_REQUEST_TIMEOUT_MS,
  type FanOutQueueSettings,
  fanOutQueueSettingsFromEnv,
} from './fanOutQueue.js'
import { createLambdaLogger } from './lambdaLogger.js'
import { sqsFanOutQueue } from './sqsFanOutQueue.js'

export { FANOUT_REQUEST_TIMEOUT_MS }

/** What the worker's variables say, checked; the clients are built from it. */
export interface FanOutSettings extends FanOutQueueSettings {
  tableName: string
  managementEndpoint: string
  dynamoDbTimeoutMs: number
  dynamoDbMaxAttempts: number | undefined
  managementTimeoutMs: number
  managementMaxAttempts: number | undefined
  postConcurrency: number | undefined
  managementMaxSockets: number | undefined
}

/**
 * The fan-out worker's settings from its environment: `CHATDB_FANOUT_QUEUE_URL` (required: the
 * queue retry jobs go to), `CHATDB_MANAGEMENT_ENDPOINT` (required: the API's `@connections`
 * endpoint, the only one the worker posts to), `CHATDB_TABLE` (default `chat`), `CHATDB_DYNAMODB_TIMEOUT_MS` / `_MAX_ATTEMPTS`,
 * `CHATDB_MANAGEMENT_TIMEOUT_MS` / `_MAX_ATTEMPTS`, `CHATDB_QUEUE_TIMEOUT_MS` / `_MAX_ATTEMPTS`
 * (timeouts default 2,000 ms, attempts 3), `CHATDB_BROADCAST_CONCURRENCY` and
 * `CHATDB_MANAGEMENT_MAX_SOCKETS` (default 128 / the posts in flight). A bad value throws
 * `validation.option` naming the variable.
 *
 * @example
 * fanOutSettingsFromEnv({
 *   CHATDB_FANOUT_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123/fanout',
 *   CHATDB_MANAGEMENT_ENDPOINT: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
 * }).tableName // 'chat'
 */
export function fanOutSettingsFromEnv(env: Environment): FanOutSettings {
  const queue = fanOutQueueSettingsFromEnv(env)
  if (!queue) {
    throw new ChatDbError(
      'validation.option',
      'CHATDB_FANOUT_QUEUE_URL is unset: the fan-out worker needs the queue its retry jobs go to',
    )
  }
  const settings = fromEnvironment(env, [
    'tableName',
    'managementEndpoint',
    'dynamoDbTimeoutMs',
    'dynamoDbMaxAttempts',
    'managementTimeoutMs',
    'managementMaxAttempts',
    'postConcurrency',
    'managementMaxSockets',
  ])
  const { managementEndpoint } = settings
  if (!managementEndpoint) {
    throw new ChatDbError(
      'validation.option',
      "CHATDB_MANAGEMENT_ENDPOINT is unset: the fan-out worker posts only to the API's own @connections endpoint, https://{apiId}.execute-api.{region}.amazonaws.com/{stage}",
    )
  }
  return {
    tableName: settings.tableName ?? DEFAULT_TABLE_NAME,
    ...queue,
    managementEndpoint,
    dynamoDbTimeoutMs: settings.dynamoDbTimeoutMs ?? FANOUT_REQUEST_TIMEOUT_MS,
    dynamoDbMaxAttempts: settings.dynamoDbMaxAttempts,
    managementTimeoutMs: settings.managementTimeoutMs ?? FANOUT_REQUEST_TIMEOUT_MS,
    managementMaxAttempts: settings.managementMaxAttempts,
    postConcurrency: settings.postConcurrency,
    managementMaxSockets: settings.managementMaxSockets,
  }
}

/** The worker on real clients, as `fanOutSettingsFromEnv` configures it. */
export function fanOutHandlerOf(settings: FanOutSettings, logger?: ServiceLogger): FanOutHandler {
  return createFanOutHandler({
    documentClient: createDocumentClient({
      requestTimeoutMs: settings.dynamoDbTimeoutMs,
      maxAttempts: settings.dynamoDbMaxAttempts,
    }),
    tableName: settings.tableName,
    queue: sqsFanOutQueue(settings),
    managementEndpoint: settings.managementEndpoint,
    managementTimeoutMs: settings.managementTimeoutMs,
    managementMaxAttempts: settings.managementMaxAttempts,
    postConcurrency: settings.postConcurrency,
    managementMaxSockets: settings.managementMaxSockets,
    logger,
  })
}

/**
 * The Lambda handler of the fan-out queue, configured from `env` on its first invocation and
 * kept for the life of the execution environment. A bad configuration is logged
 * (`config.invalid`, once per invocation, with the variable at fault) and fails every record of
 * the batch: they return to the queue and, after `maxReceiveCount`, wait in the dead-letter queue
 * for the fix, rather than being deleted undelivered or crashing the function in a loop.
 *
 * @example
 * // template: Handler: worker.fanOutHandler
 * export { fanOutHandler } from 'chatdb/lambda'
 */
export function fanOutHandlerFromEnvironment(
  env: Environment = process.env,
  { logger, build = fanOutHandlerOf }: { logger?: ServiceLogger; build?: typeof fanOutHandlerOf } = {},
) {
  let worker: FanOutHandler | undefined
  return async (event: SqsEvent): Promise<SqsBatchResponse> => {
    const records = Array.isArray(event?.Records) ? event.Records : undefined
    if (!records) {
      // Not from an SQS event source: no record to fail or to keep.
      ;(logger ?? createLambdaLogger()).error('fanout.badEvent', {
        received: event === null ? 'null' : typeof event,
        reason: 'not an SQS event (Records is required)',
      })
      return { batchItemFailures: [] }
    }
    if (records.length === 0) return { batchItemFailures: [] }
    try {
      worker ??= build(fanOutSettingsFromEnv(env), logger)
    } catch (error) {
      ;(logger ?? createLambdaLogger()).error('config.invalid', {
        route: 'fanOut',
        records: records.length,
        error: describeError(error),
      })
      return { batchItemFailures: records.map(({ messageId }) => ({ itemIdentifier: messageId })) }
    }
    return worker.handler(event)
  }
}
