/**
 * Frames one connection may have waiting behind the one being handled, by default. A frame is
 * 128 KB at most, so a connection holds at most 8 MB of waiting frames. Its own module so that
 * the CLI's option defaults do not load the gateway (ws and every handler).
 */
export const DEFAULT_MAX_QUEUED_FRAMES = 64

/**
 * Keep-alive sockets of the gateway's `@connections` client by default. In Lambda an execution
 * environment runs one invocation at a time, so its client needs as many sockets as one
 * broadcast has posts in flight; here every connection's invocations share one client.
 */
export const GATEWAY_MANAGEMENT_MAX_SOCKETS = 256
