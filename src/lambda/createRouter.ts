import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { checkOption } from '../config/settings.js'
import { createInlinePublisher } from '../fanout/inlinePublisher.js'
import { createQueuePublisher } from '../fanout/queuePublisher.js'
import { describeError } from '../log/jsonLogger.js'
import { ACTION_NAMES, type ActionName } from '../protocol/actions.js'
import type { QueuePort } from '../queue/types.js'
import { createChatRepository } from '../repository/chatRepository.js'
import { type ChatService, createChatService } from '../service/chatService.js'
import type { Broadcaster, ServiceLogger } from '../service/types.js'
import { DEFAULT_TABLE_NAME } from '../table.js'
import { onDynamoDbRequest } from '../util/requestCounter.js'
import { createBroadcaster } from './broadcaster.js'
import {
  bodyOf,
  type LambdaInvocationContext,
  managementEndpointOf,
  type RouteResponse,
  requestInfoOf,
  type WebSocketEvent,
  type WebSocketHandler,
} from './events.js'
import { currentInvocation, runInvocation } from './invocation.js'
import { createLambdaLogger } from './lambdaLogger.js'
import { createManagementPool, type ManagementPoolOptions } from './managementClient.js'
import { type RouteMetrics, routeMetricsFromEnvironment } from './routeMetrics.js'

/** The router's options; the `@connections` settings are the {@link ManagementPoolOptions}. */
export interface RouterOptions extends ManagementPoolOptions {
  documentClient: DynamoDBDocumentClient
  /** Default `chat`. */
  tableName?: string
  /** The `@connections` endpoint; default `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}` from the event. */
  managementEndpoint?: string
  /** Messages in a `subscribed` frame (default 50). */
  recentMessagesLimit?: number
  /** Room listing partitions (default 1); see the repository option. */
  roomListingShards?: number
  /** Milliseconds a first `listRooms` page may be answered from memory (default 0: off). */
  roomListCacheMs?: number
  /** Days new messages are kept (their `expiresAt`, for TTL); unset: kept for ever. */
  messageRetentionDays?: number
  /** Write shards of each user name's history (default 1; see `ChatRepositoryOptions`). */
  userHistoryShards?: number
  /** History shards read (default `userHistoryShards`). */
  userHistoryReadShards?: number
  /**
   * `$disconnect` storms: rooms over this many items coalesce their departures (default 100;
   * `Infinity`: never), see docs/data-model.md "Disconnect storms".
   */
  coalesceFrom?: number
  /** How long a burst's holder collects departures before announcing them (ms, default 250). */
  coalesceWindowMs?: number
  /** Subscribers at which a room becomes large (default 1,000; `Infinity`: never); see the repository option. */
  largeRoomThreshold?: number
  /** Subscription shards of a room that becomes large (default 64); see the repository option. */
  largeRoomShards?: number
  /**
   * Where large rooms' broadcasts go as fan-out jobs, each naming the `@connections` endpoint of
   * the event that published it (the worker, woken by the queue, cannot know it). Without it a
   * large room's broadcast is posted by the route itself.
   */
  fanOutQueue?: QueuePort
  /**
   * Where the router and the service log; default Powertools JSON lines with the invocation's
   * route, connection id and request id ({@link createLambdaLogger}).
   */
  logger?: ServiceLogger
  /**
   * Publishes each invocation's metrics; default {@link routeMetricsFromEnvironment} (EMF on
   * stdout when `POWERTOOLS_METRICS_NAMESPACE` is set, else none); `false`: none.
   */
  metrics?: RouteMetrics | false
}

export { DEFAULT_MANAGEMENT_MAX_ATTEMPTS, DEFAULT_MANAGEMENT_TIMEOUT_MS } from './managementClient.js'

const isActionName = (value: string): value is ActionName =>
  (ACTION_NAMES as readonly string[]).includes(value)

/** The broadcaster, adding each post's outcome to the invocation it runs in (for its metrics). */
function tallied(broadcaster: Broadcaster): Broadcaster {
  return {
    async post(deliveries) {
      const report = await broadcaster.post(deliveries)
      const invocation = currentInvocation()
      if (invocation) {
        invocation.postsDelivered += report.delivered.length
        invocation.postsGone += report.gone.length
        invocation.postsFailed += report.failed.length
      }
      return report
    },
  }
}

/**
 * Lambda hands the function whatever invoked it: a test event, `null`, a queue message. Only an
 * event with a route key and a connection id can be served (and answered); the rest is refused.
 */
function isWebSocketEvent(event: unknown): event is WebSocketEvent {
  const context = (event as { requestContext?: unknown } | null | undefined)?.requestContext as
    | { routeKey?: unknown; connectionId?: unknown }
    | null
    | undefined
  return typeof context?.routeKey === 'string' && typeof context.connectionId === 'string'
}

/**
 * Builds every route handler on one set of clients: the repository over `documentClient`, and
 * one management client (and service) per `@connections` endpoint, made on first use.
 *
 * @example
 * const router = createRouter({ documentClient, tableName: 'chat' })
 * export const handler = router.handler
 */
export function createRouter(options: RouterOptions) {
  const { documentClient, tableName = DEFAULT_TABLE_NAME, region = process.env.AWS_REGION } = options
  const logger = options.logger ?? createLambdaLogger()
  const services = new Map<string, ChatService>()
  // Checked here, not when the first event builds the broadcaster: a bad value is a deployment
  // error to refuse at once, not a 500 on every route.
  const pool = createManagementPool({
    ...options,
    // A service holds its endpoint's client: one whose client was destroyed is made again.
    onEvict: (endpoint) => services.delete(endpoint),
  })
  if (options.largeRoomThreshold !== undefined) checkOption('largeRoomThreshold', options.largeRoomThreshold)
  if (options.largeRoomShards !== undefined) checkOption('largeRoomShards', options.largeRoomShards)
  const metrics = options.metrics === undefined ? routeMetricsFromEnvironment() : options.metrics || undefined
  if (metrics) {
    // Counted into the invocation the request belongs to (its async context), not the client:
    // one client serves every invocation of the execution environment (and of `chatdb serve`).
    onDynamoDbRequest(documentClient, 'chatdbInvocationRequests', () => {
      const invocation = currentInvocation()
      if (invocation) invocation.dynamoDbRequests++
    })
  }
  const repository = createChatRepository({
    documentClient,
    tableName,
    recentMessagesLimit: options.recentMessagesLimit,
    messageRetentionDays: options.messageRetentionDays,
    userHistoryShards: options.userHistoryShards,
    userHistoryReadShards: options.userHistoryReadShards,
    roomListingShards: options.roomListingShards,
    roomListCacheMs: options.roomListCacheMs,
    coalesceFrom: options.coalesceFrom,
    coalesceWindowMs: options.coalesceWindowMs,
    largeRoomThreshold: options.largeRoomThreshold,
    largeRoomShards: options.largeRoomShards,
  })
  const { fanOutQueue } = options

  function serviceFor(event: WebSocketEvent): ChatService {
    const endpoint = options.managementEndpoint ?? managementEndpointOf(event, region)
    let service = services.get(endpoint)
    if (!service) {
      const client = pool.clientFor(endpoint)
      // Bound below: the broadcaster's 410 cleanup goes through the service it posts for.
      let created: ChatService | undefined
      const broadcaster = tallied(
        createBroadcaster({
          client,
          // A gone connection's subscriptions are deleted on the spot: its $disconnect may have
          // missed some (the GSI it reads is eventually consistent); by now the GSI shows them.
          // Through the service: a big room's departure burst it holds must still be announced.
          onGone: (connectionId) =>
            created ? created.removeGone(connectionId) : repository.removeConnection(connectionId),
          concurrency: pool.postConcurrency,
          logger,
        }),
      )
      service = createChatService({
        repository,
        broadcaster,
        recentMessagesLimit: options.recentMessagesLimit,
        logger,
        publisher: fanOutQueue
          ? createQueuePublisher({ queue: fanOutQueue, endpoint })
          : createInlinePublisher({ repository, broadcaster }),
      })
      created = service
      services.set(endpoint, service)
    }
    return service
  }

  /**
   * Runs a route as one invocation (its context is on every log line, its counts in its
   * metrics); anything that escapes the service (a bad endpoint, say) is logged and is a 500.
   */
  const route =
    (name: string, work: (service: ChatService, event: WebSocketEvent) => Promise<RouteResponse>) =>
    async (event: WebSocketEvent, context?: LambdaInvocationContext): Promise<RouteResponse> => {
      if (!isWebSocketEvent(event)) return refuseEvent(name, event)
      const { connectionId, requestId } = event.requestContext
      const lambdaRequestId = typeof context?.awsRequestId === 'string' ? context.awsRequestId : undefined
      return runInvocation({ route: name, connectionId, requestId, lambdaRequestId }, async (invocation) => {
        const started = performance.now()
        let response: RouteResponse = { statusCode: 500 }
        try {
          response = await work(serviceFor(event), event)
        } catch (error) {
          logger.error('route.failed', { route: name, connectionId, error: describeError(error) })
        }
        try {
          metrics?.(invocation, { statusCode: response.statusCode, ms: performance.now() - started })
        } catch (error) {
          // The answer stands: a metric Powertools refuses is a deployment problem, logged.
          logger.error('metrics.failed', { route: name, connectionId, error: describeError(error) })
        }
        return response
      })
    }

  /** Not an API Gateway WebSocket event: nobody to answer with a frame, so a logged 400. */
  function refuseEvent(route: string, event: unknown): RouteResponse {
    logger.error('route.badEvent', {
      route,
      received: event === null ? 'null' : typeof event,
      reason: 'not an API Gateway WebSocket event (requestContext.routeKey and connectionId are required)',
    })
    return { statusCode: 400 }
  }

  const named = (action: ActionName): WebSocketHandler =>
    route(action, (service, event) => service.receive(requestInfoOf(event), bodyOf(event), action))

  const routes = {
    connect: route('$connect', (service, event) => service.connect(requestInfoOf(event))),
    disconnect: route('$disconnect', (service, event) => service.disconnect(requestInfoOf(event))),
    /** No route matched (or the body is not JSON): the body's `action` decides, if any. */
    defaultRoute: route('$default', (service, event) => service.receive(requestInfoOf(event), bodyOf(event))),
    subscribe: named('subscribe'),
    unsubscribe: named('unsubscribe'),
    sendMessage: named('sendMessage'),
    listRooms: named('listRooms'),
  } satisfies Record<string, WebSocketHandler>

  /** One handler for every route, dispatching on `requestContext.routeKey`. */
  const handler: WebSocketHandler = async (event, context) => {
    if (!isWebSocketEvent(event)) return refuseEvent('handler', event)
    const routeKey = event.requestContext.routeKey
    if (routeKey === '$connect') return routes.connect(event, context)
    if (routeKey === '$disconnect') return routes.disconnect(event, context)
    if (isActionName(routeKey)) return routes[routeKey](event, context)
    return routes.defaultRoute(event, context)
  }

  return {
    ...routes,
    handler,
    repository,
    /** Releases the management clients (the document client belongs to the caller). */
    close() {
      pool.destroy()
      services.clear()
    },
  }
}

export type Router = ReturnType<typeof createRouter>
