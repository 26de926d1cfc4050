/**
 * Lambda handlers for the chat's API Gateway WebSocket routes (in package export `chatdb/lambda`;
 * the entry of the router's bundle, `dist/lambda/index.mjs`).
 * Point every route at `handler`, or each route at its own handler. Configuration:
 * `CHATDB_TABLE` (default `chat`), `CHATDB_MANAGEMENT_ENDPOINT` (default: from the event),
 * `CHATDB_RECENT_MESSAGES` (default 50), `CHATDB_MESSAGE_RETENTION_DAYS` (default: no expiry),
 * `CHATDB_USER_HISTORY_SHARDS` / `CHATDB_USER_HISTORY_READ_SHARDS` (default 1 / the former),
 * `CHATDB_DYNAMODB_TIMEOUT_MS` / `CHATDB_DYNAMODB_MAX_ATTEMPTS` (default 2,000 ms, 3 attempts),
 * `CHATDB_MANAGEMENT_TIMEOUT_MS` / `CHATDB_MANAGEMENT_MAX_ATTEMPTS` (default 2,000 ms, 3 attempts),
 * `CHATDB_ROOM_LISTING_SHARDS` (default 1) / `CHATDB_ROOM_LIST_CACHE_MS` (default 0: no cache),
 * `CHATDB_BROADCAST_CONCURRENCY` (posts in flight per broadcast, default 128) /
 * `CHATDB_MANAGEMENT_MAX_SOCKETS` (keep-alive sockets to `@connections`, default: the posts in flight),
 * `CHATDB_DISCONNECT_COALESCE_FROM` / `CHATDB_DISCONNECT_WINDOW_MS` (default 100 items, 250 ms),
 * `CHATDB_LARGE_ROOM_THRESHOLD` / `CHATDB_LARGE_ROOM_SHARDS` (default 1,000 subscribers / 64 shards;
 * `off` or `Infinity`: no large rooms), `CHATDB_FANOUT_QUEUE_URL` (the SQS queue large rooms'
 * broadcasts go to; unset: posted by the route) with `CHATDB_QUEUE_TIMEOUT_MS` / `_MAX_ATTEMPTS`
 * (default 2,000 ms, 3 attempts),
 * `AWS_ENDPOINT_URL_DYNAMODB` and the rest of the SDK's own variables. Logs are Powertools JSON
 * lines (`POWERTOOLS_SERVICE_NAME`, default `chatdb`; `POWERTOOLS_LOG_LEVEL`, default `INFO`)
 * with the route, connection id and request id on each; metrics are EMF on stdout when
 * `POWERTOOLS_METRICS_NAMESPACE` is set (`POWERTOOLS_METRICS_DISABLED=true` turns them off).
 *
 * A hung dependency fails a route's first request after attempts × timeout (+ backoff); the
 * route stops there and posts its 500 error frame, itself bounded the same way: with the
 * defaults, about 13 s in all, well inside the template's 29 s function timeout.
 *
 * @example
 * // template: Handler: node_modules/chatdb/dist/src/lambda/index.handler
 * export { handler } from 'chatdb/lambda'
 */
import { createDocumentClient } from '../client.js'
import { fromEnvironment } from '../config/fromEnvironment.js'
import { describeError } from '../log/jsonLogger.js'
import { DEFAULT_TABLE_NAME } from '../table.js'
import { createRouter, type Router } from './createRouter.js'
import type { LambdaInvocationContext, RouteResponse, WebSocketEvent, WebSocketHandler } from './events.js'
import { fanOutQueueSettingsFromEnv, lazySqsFanOutQueue } from './fanOutQueue.js'
import { createLambdaLogger } from './lambdaLogger.js'

export { DEFAULT_POST_CONCURRENCY } from '../config/settings.js'
export {
  createRouter,
  DEFAULT_MANAGEMENT_MAX_ATTEMPTS,
  DEFAULT_MANAGEMENT_TIMEOUT_MS,
  type Router,
  type RouterOptions,
} from './createRouter.js'
export { createManagementClient, type ManagementClientOptions } from './managementClient.js'

// The handlers' own defaults are tighter than the library's (30 s): a Lambda has a hard timeout
// (29 s in the template) and both DynamoDB and API Gateway answer in milliseconds.
/** The Lambda's DynamoDB request timeout (ms) unless `CHATDB_DYNAMODB_TIMEOUT_MS` says otherwise. */
export const LAMBDA_DYNAMODB_TIMEOUT_MS = 2_000
/** The Lambda's `@connections` request timeout (ms) unless `CHATDB_MANAGEMENT_TIMEOUT_MS` says otherwise. */
export const LAMBDA_MANAGEMENT_TIMEOUT_MS = 2_000
export {
  bodyOf,
  type LambdaInvocationContext,
  managementEndpointOf,
  type RouteResponse,
  requestInfoOf,
  type WebSocketEvent,
  type WebSocketHandler,
  type WebSocketRequestContext,
} from './events.js'
export { createLambdaLogger, DEFAULT_SERVICE_NAME, type PowertoolsLogSink } from './lambdaLogger.js'
export {
  createRouteMetrics,
  type PowertoolsMetricsSink,
  type RouteMetrics,
  routeMetricsFromEnvironment,
} from './routeMetrics.js'

/** The settings the router reads from its variables (src/config/settings.ts names them). */
const ROUTER_SETTINGS = [
  'dynamoDbTimeoutMs',
  'dynamoDbMaxAttempts',
  'tableName',
  'managementEndpoint',
  'recentMessagesLimit',
  'messageRetentionDays',
  'managementTimeoutMs',
  'managementMaxAttempts',
  'postConcurrency',
  'managementMaxSockets',
  'userHistoryShards',
  'userHistoryReadShards',
  'roomListingShards',
  'roomListCacheMs',
  'coalesceFrom',
  'coalesceWindowMs',
  'largeRoomThreshold',
  'largeRoomShards',
] as const

// Built on the first invocation and kept for the life of the execution environment.
let router: Router | undefined

function defaultRouter(): Router {
  if (router) return router
  const fanOutQueue = fanOutQueueSettingsFromEnv(process.env)
  const { dynamoDbTimeoutMs, dynamoDbMaxAttempts, tableName, managementTimeoutMs, ...settings } =
    fromEnvironment(process.env, ROUTER_SETTINGS)
  router = createRouter({
    documentClient: createDocumentClient({
      requestTimeoutMs: dynamoDbTimeoutMs ?? LAMBDA_DYNAMODB_TIMEOUT_MS,
      maxAttempts: dynamoDbMaxAttempts,
    }),
    tableName: tableName ?? DEFAULT_TABLE_NAME,
    managementTimeoutMs: managementTimeoutMs ?? LAMBDA_MANAGEMENT_TIMEOUT_MS,
    ...settings,
    // The SQS client is loaded on the first publish, not here: most rooms never need it.
    ...(fanOutQueue ? { fanOutQueue: lazySqsFanOutQueue(fanOutQueue) } : {}),
  })
  return router
}

/**
 * Each export runs its route on the shared router. A configuration error (a bad variable) is
 * logged and answered 500 on every invocation, never thrown: a thrown error would only show up
 * as an opaque Lambda failure, and the function stays up to report it again.
 */
const serve =
  (route: Exclude<keyof Router, 'repository' | 'close'>): WebSocketHandler =>
  async (event: WebSocketEvent, context?: LambdaInvocationContext): Promise<RouteResponse> => {
    let current: Router
    try {
      current = defaultRouter()
    } catch (error) {
      createLambdaLogger().error('config.invalid', { route, error: describeError(error) })
      return { statusCode: 500 }
    }
    return current[route](event, context)
  }

export const handler: WebSocketHandler = serve('handler')
export const connect: WebSocketHandler = serve('connect')
export const disconnect: WebSocketHandler = serve('disconnect')
export const defaultRoute: WebSocketHandler = serve('defaultRoute')
export const subscribe: WebSocketHandler = serve('subscribe')
export const unsubscribe: WebSocketHandler = serve('unsubscribe')
export const sendMessage: WebSocketHandler = serve('sendMessage')
export const listRooms: WebSocketHandler = serve('listRooms')
