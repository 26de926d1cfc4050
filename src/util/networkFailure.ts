/** Node's socket error codes for an endpoint that refused, dropped or never answered the call. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
])

/**
 * A refused, reset or timed-out connection. Recognised by name and code, never by class: they
 * come from node:net, the SDK's HTTP handler and its retry strategy. Node's happy-eyeballs
 * connect throws an AggregateError of the attempts; a wrapped error is judged by its cause.
 */
export function isNetworkFailure(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 5) return false
  const { code } = error as { code?: unknown }
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true
  if (error.name === 'TimeoutError' || error.name === 'RequestTimeout') return true
  if (error instanceof AggregateError && error.errors.some((e) => isNetworkFailure(e, depth + 1))) return true
  return error.cause !== error && isNetworkFailure(error.cause, depth + 1)
}
