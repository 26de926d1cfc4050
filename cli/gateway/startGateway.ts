import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { fromEnvironment } from '../../src/config/fromEnvironment.js'
import { checkOption } from '../../src/config/settings.js'
import { createRouter } from '../../src/lambda/createRouter.js'
import { createJsonLogger } from '../../src/log/jsonLogger.js'
import { type Gateway as BaseGateway, startGatewayServer } from './gatewayServer.js'
import { createInspectApi } from './inspectApi.js'
import { GATEWAY_MANAGEMENT_MAX_SOCKETS } from './limits.js'
import { describeLocalFanOut, type LocalFanOut, startLocalFanOut } from './localFanOut.js'
import type { ThrottleSetting } from './requestLimits.js'
import type { RouteInvocation } from './routeLog.js'

export type { LocalFanOut } from './localFanOut.js'

/** The local gateway, with its in-process fan-out queue for large rooms. */
export interface Gateway extends BaseGateway {
  /** The fan-out queue the router publishes large rooms' broadcasts to, and its dead-letter queue. */
  fanOut: LocalFanOut
}

export interface GatewayOptions {
  /** 0 picks a free port. */
  port: number
  /** Default 127.0.0.1. */
  host?: string
  documentClient: DynamoDBDocumentClient
  tableName: string
  /** Lines for the developer: one per route invocation (unless `route` is given), errors, warnings. */
  log?: (line: string) => void
  /** Each route invocation, instead of a `log` line for it. */
  route?: (invocation: RouteInvocation) => void
  /** Frames a connection may have waiting; one more closes it with 1013 (default 64). */
  maxQueuedFrames?: number
  /** API Gateway's account request budget (default 10,000/s, burst 5,000; `off`: none). */
  accountThrottle?: ThrottleSetting
  /** Each route's throttle, as the stage's default route settings (default 1,000/s, burst 500). */
  stageThrottle?: ThrottleSetting
  /** API Gateway's idle timeout (default 10 min) and connection duration (2 h); `Infinity`: none. */
  idleTimeoutMs?: number
  maxConnectionAgeMs?: number
  /** Host names it answers to besides its address and `localhost` (`--allow-host`). */
  allowedHosts?: readonly string[]
  /** Page origins that may open a WebSocket besides its own page (`--allow-origin`). */
  allowedOrigins?: readonly string[]
  /** Posts in flight per broadcast (default: the library's, 128). */
  broadcastConcurrency?: number
  /** Sockets of the handlers' `@connections` client (default {@link GATEWAY_MANAGEMENT_MAX_SOCKETS}). */
  managementMaxSockets?: number
  /** The router's `coalesceFrom` and `coalesceWindowMs` (`$disconnect` storms; default 100, 250 ms). */
  coalesceFrom?: number
  coalesceWindowMs?: number
  /**
   * Subscribers at which a room becomes large (default: `CHATDB_LARGE_ROOM_THRESHOLD`, else the
   * library's 1,000; `Infinity`: never) and its shard count (`CHATDB_LARGE_ROOM_SHARDS`, else 64).
   */
  largeRoomThreshold?: number
  largeRoomShards?: number
  /** The local fan-out queue's visibility timeout (default 30,000 ms) and receives before dead-lettering (default 5). */
  fanOutVisibilityTimeoutMs?: number
  fanOutMaxReceiveCount?: number
}

/**
 * A local stand-in for API Gateway's WebSocket API (`chatdb serve`): a real `ws` server that
 * turns connections and frames into API Gateway v2 events for the Lambda router built by
 * `createRouter` (`$connect` on upgrade, a non-200 refusing it; route selection on
 * `$request.body.action`, `$default` otherwise; `$disconnect` on close), and serves the
 * `@connections` management API on the same port, so the handlers post through the real SDK
 * client. Unlike API Gateway, it handles one frame per connection at a time, in arrival order;
 * at most `maxQueuedFrames` may wait (one more closes the connection with 1013), and frames
 * still waiting when their connection closes are dropped ($disconnect follows the running one).
 * API Gateway's request limits apply (`accountThrottle`, `stageThrottle`; see `createRequestLimits`).
 *
 * @example
 * const gateway = await startGateway({ port: 3001, documentClient, tableName: 'chat', log: console.log })
 * // ws clients connect to gateway.url; later:
 * await gateway.close()
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { port, host, log, maxQueuedFrames, allowedHosts, allowedOrigins, documentClient, tableName } =
    options
  // An option wins over its variable, which is then not read at all (a bad one included), as a
  // flag of `serve` does; each variable is read alone, so a bad one names itself.
  const largeRooms = {
    largeRoomThreshold:
      options.largeRoomThreshold ?? fromEnvironment(process.env, ['largeRoomThreshold']).largeRoomThreshold,
    largeRoomShards:
      options.largeRoomShards ?? fromEnvironment(process.env, ['largeRoomShards']).largeRoomShards,
  }
  // Checked before anything listens or polls: a bad value must not leave a worker running.
  if (largeRooms.largeRoomThreshold !== undefined)
    checkOption('largeRoomThreshold', largeRooms.largeRoomThreshold)
  if (largeRooms.largeRoomShards !== undefined) checkOption('largeRoomShards', largeRooms.largeRoomShards)
  let fanOut: ReturnType<typeof startLocalFanOut> | undefined
  const gateway = await startGatewayServer({
    port,
    host,
    log,
    route: options.route,
    maxQueuedFrames,
    accountThrottle: options.accountThrottle,
    stageThrottle: options.stageThrottle,
    idleTimeoutMs: options.idleTimeoutMs,
    maxConnectionAgeMs: options.maxConnectionAgeMs,
    allowedHosts,
    allowedOrigins,
    // The operator view reads through the same client; the Lambda handlers never serve it.
    inspect: createInspectApi({
      documentClient,
      tableName,
      fanOut: () => fanOut && describeLocalFanOut(fanOut),
    }),
    router: (managementEndpoint) => {
      // Large rooms' broadcasts: queued here and posted by the Lambda's fan-out worker, in process.
      fanOut = startLocalFanOut({
        documentClient,
        tableName,
        managementEndpoint,
        visibilityTimeoutMs: options.fanOutVisibilityTimeoutMs,
        maxReceiveCount: options.fanOutMaxReceiveCount,
        postConcurrency: options.broadcastConcurrency,
        managementMaxSockets: options.managementMaxSockets ?? GATEWAY_MANAGEMENT_MAX_SOCKETS,
        warn: log ?? (() => {}),
      })
      return createRouter({
        documentClient,
        tableName,
        managementEndpoint,
        // CHATDB_ROOM_LISTING_SHARDS / CHATDB_ROOM_LIST_CACHE_MS, as the Lambda handlers read them.
        ...fromEnvironment(process.env, ['roomListingShards', 'roomListCacheMs']),
        region: 'local',
        // The local @connections API wants a SigV4-signed request but checks no signature; these
        // let the SDK sign without an AWS profile.
        managementCredentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        postConcurrency: options.broadcastConcurrency,
        // Every connection's invocations share this one client (in Lambda each has its own).
        managementMaxSockets: options.managementMaxSockets ?? GATEWAY_MANAGEMENT_MAX_SOCKETS,
        // A terminal, not CloudWatch: the plain JSON lines on stderr, and no EMF.
        logger: createJsonLogger(),
        metrics: false,
        // CHATDB_USER_HISTORY_SHARDS / _READ_SHARDS, as for the Lambda handlers.
        ...fromEnvironment(process.env, ['userHistoryShards', 'userHistoryReadShards']),
        coalesceFrom: options.coalesceFrom,
        coalesceWindowMs: options.coalesceWindowMs,
        ...largeRooms,
        fanOutQueue: fanOut.queue,
      })
    },
  })
  const started = fanOut as NonNullable<typeof fanOut>
  return {
    ...gateway,
    fanOut: {
      queue: started.queue,
      deadLetters: started.deadLetters,
      visibilityTimeoutMs: started.visibilityTimeoutMs,
      maxReceiveCount: started.maxReceiveCount,
    },
    async close() {
      // The worker first, while the connections it posts to are still open; then the gateway.
      await started.stop()
      await gateway.close()
    },
  }
}
