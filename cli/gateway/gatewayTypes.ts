import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda'
import type { InspectApi } from './inspectApi.js'
import type { DEFAULT_MAX_QUEUED_FRAMES } from './limits.js'
import type { ThrottleCounts, ThrottleSetting } from './requestLimits.js'
import type { RouteInvocation } from './routeLog.js'

/** What the gateway invokes: the Lambda router, or anything shaped like it. */
export interface GatewayRouter {
  handler(event: APIGatewayProxyWebsocketEventV2): Promise<{ statusCode: number }>
  close(): void
}

export interface GatewayServerOptions {
  /** 0 picks a free port. */
  port: number
  /** Default 127.0.0.1. */
  host?: string
  /** Builds the router once the `@connections` endpoint (this server) is known. */
  router: (managementEndpoint: string) => GatewayRouter
  /** Lines for the developer: one per route invocation (unless `route` is given), errors, throttling. */
  log?: (line: string) => void
  /** Each route invocation, instead of a `log` line for it (`serve` summarizes them). */
  route?: (invocation: RouteInvocation) => void
  /**
   * Frames one connection may have waiting behind the one being handled (default
   * {@link DEFAULT_MAX_QUEUED_FRAMES}). One more closes the connection with 1013 "try again
   * later", as API Gateway throttles a client that outruns its limits: a flooding client cannot
   * grow the gateway's memory without bound.
   */
  maxQueuedFrames?: number
  /**
   * API Gateway's account request budget, shared by route requests (`$connect` and every frame)
   * and `@connections` calls (default 10,000/s, burst 5,000; `off`: none). Over it a frame gets a
   * "Too Many Requests" frame instead of its route, `$connect` is refused with 429, and a call
   * answers 429 LimitExceededException.
   */
  accountThrottle?: ThrottleSetting
  /** Each route's throttle, the stage's default route settings (default 1,000/s, burst 500; `off`: none). */
  stageThrottle?: ThrottleSetting
  /**
   * API Gateway's idle connection timeout (default 10 minutes; `Infinity`: none) and connection
   * duration (default 2 hours): a connection with no data frame either way for that long, or that
   * old, is closed with 1001 "Going away" and gets its `$disconnect` (see `createConnectionLifetime`).
   */
  idleTimeoutMs?: number
  maxConnectionAgeMs?: number
  /** Answers the operator view's `/inspect/api/…` requests (read-only); none without it. */
  inspect?: InspectApi
  /**
   * Names the gateway answers to besides its address and `localhost` (e.g. `devbox.local`):
   * requests with any other Host are refused with 421, against DNS rebinding (see `createRequestGuard`).
   */
  allowedHosts?: readonly string[]
  /**
   * Page origins that may open a WebSocket besides the gateway's own page (e.g.
   * `http://localhost:5173`); other browser origins are refused with 403. Clients that send no
   * Origin (the SDK, wscat) are not affected.
   */
  allowedOrigins?: readonly string[]
}

/** What the gateway did with the frames it received (since it started, over every connection). */
export interface GatewayStats {
  /** Open connections. */
  connections: number
  /** Frames waiting to be handled now, over every connection. */
  queuedFrames: number
  /** Frames handed to the router. */
  handledFrames: number
  /** Frames never handed to the router: beyond the queue limit, or queued when their connection closed. */
  droppedFrames: number
  /** Connections closed with 1013 for exceeding the queue limit. */
  throttledConnections: number
  /** Requests refused by the account budget or a route's throttle (429). */
  throttled: ThrottleCounts
  /** Connections closed with 1001 after the idle timeout. */
  idleClosedConnections: number
  /** Connections closed with 1001 at the maximum connection age. */
  agedOutConnections: number
}

export interface Gateway {
  /** `ws://host:port`, for WebSocket clients. */
  url: string
  /** `http://host:port`, the `@connections` API the handlers post through. */
  managementEndpoint: string
  /** Counts of frames handled, queued and dropped, for tests and the curious. */
  stats(): GatewayStats
  /** Closes every connection (running `$disconnect` for each), then the server. */
  close(): Promise<void>
}
