// The local gateway's defaults: their own module so that the CLI's option defaults
// (cli/flagSettings.ts) do not load the gateway (ws and every handler).

/**
 * API Gateway's account-level throttle quota per Region, shared by every HTTP, REST and WebSocket
 * API and the WebSocket callback (`@connections`) APIs: 10,000 requests/s with a bucket of 5,000
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html).
 */
export const AWS_ACCOUNT_THROTTLE = { rate: 10_000, burst: 5_000 } as const

/**
 * The stage's default route throttle: the template's `StageThrottleRate`/`StageThrottleBurst`
 * defaults, which its `DefaultRouteSettings` apply to each route.
 */
export const TEMPLATE_STAGE_THROTTLE = { rate: 1_000, burst: 500 } as const

/**
 * Frames one connection may have waiting behind the one being handled, by default. A frame is
 * 128 KB at most, so a connection holds at most 8 MB of waiting frames.
 */
export const DEFAULT_MAX_QUEUED_FRAMES = 64

/**
 * Keep-alive sockets of the gateway's `@connections` client by default. In Lambda an execution
 * environment runs one invocation at a time, so its client needs as many sockets as one
 * broadcast has posts in flight; here every connection's invocations share one client.
 */
export const GATEWAY_MANAGEMENT_MAX_SOCKETS = 256
