import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi'
import { httpTimeouts } from '../client.js'
import { checkOption, DEFAULT_POST_CONCURRENCY } from '../config/settings.js'
import { positiveWholeNumber } from '../util/concurrency.js'

export interface ManagementClientOptions {
  /** The API's `@connections` endpoint (`https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`). */
  endpoint: string
  /** Signs the requests; the endpoint is explicit, so it does not pick the host. */
  region: string
  /** Default: the SDK's credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string }
  /** An attempt with no answer after this long (ms) is abandoned and retried. */
  timeoutMs: number
  /** Attempts per post, the first included. */
  maxAttempts: number
  /** Keep-alive sockets to the endpoint. */
  maxSockets: number
}

/**
 * The management client the router posts through: timeouts that end a hung post, and one
 * keep-alive socket pool of `maxSockets`. The pool is what bounds a broadcast in practice: a
 * post beyond it waits for a socket however many the broadcaster has in flight (the SDK's own
 * default is 50), and one that finds no idle socket pays a TCP and TLS handshake, so the pool
 * is sized to the posts in flight (`postConcurrency`) unless told otherwise.
 *
 * @example
 * const client = createManagementClient({
 *   endpoint: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
 *   region: 'eu-west-1',
 *   timeoutMs: 2_000,
 *   maxAttempts: 3,
 *   maxSockets: 128,
 * })
 */
export function createManagementClient(options: ManagementClientOptions): ApiGatewayManagementApiClient {
  const { endpoint, region, credentials, timeoutMs, maxAttempts, maxSockets } = options
  // The handler takes agent options, not a bare `maxSockets` (which it ignores); keepAlive is
  // the handler's default already, spelled out because the pool is pointless without it.
  const agent = { keepAlive: true, maxSockets: positiveWholeNumber('maxSockets', maxSockets) }
  return new ApiGatewayManagementApiClient({
    endpoint,
    region,
    ...(credentials ? { credentials } : {}),
    maxAttempts,
    // The SDK otherwise resolves its middleware stack for every command: about a fifth of a
    // post's client CPU (bench/findings.md). Resolved once per client instead, which is safe as
    // long as nothing adds middleware to this client after its first post (nothing does).
    cacheMiddleware: true,
    // Without timeouts a hung API would hold the invocation until Lambda kills it, and the
    // caller would never hear back; with them a post fails (logged) well inside its budget.
    requestHandler: { ...httpTimeouts(timeoutMs), httpAgent: agent, httpsAgent: agent },
  })
}

/** What the router and the fan-out worker share of their `@connections` settings. */
export interface ManagementPoolOptions {
  /** Region that signs the management API's requests (default `AWS_REGION`, else `us-east-1`). */
  region?: string
  /** Credentials for the management clients; default the SDK's chain (the local gateway passes dummies). */
  managementCredentials?: { accessKeyId: string; secretAccessKey: string }
  /**
   * A post to `@connections` that has no answer after this long (ms) is abandoned and retried
   * (default 30,000, like the document client's: generous, as the timer also runs while a post
   * waits for a pooled socket behind a busy local gateway's others; the Lambda handlers of
   * `chatdb/lambda` use 2,000, see `CHATDB_MANAGEMENT_TIMEOUT_MS`).
   */
  managementTimeoutMs?: number
  /** Attempts per post, the first included (default 3): a hung API costs at most attempts × timeout. */
  managementMaxAttempts?: number
  /**
   * Posts in flight at once per broadcast (default {@link DEFAULT_POST_CONCURRENCY}, 128): about
   * in-flight ÷ post latency posts/s, up to what the function's CPU allows (docs/operations.md,
   * "Broadcast throughput").
   */
  postConcurrency?: number
  /**
   * Keep-alive sockets of each management client (default `postConcurrency`, so no post waits for
   * a socket); the local gateway, where every connection's invocations share one client, sets more.
   */
  managementMaxSockets?: number
}

/** Default of `managementTimeoutMs`. */
export const DEFAULT_MANAGEMENT_TIMEOUT_MS = 30_000
/** Default of `managementMaxAttempts`. */
export const DEFAULT_MANAGEMENT_MAX_ATTEMPTS = 3
/**
 * Management clients a pool keeps (each with its socket pool): a deployment posts to one API
 * stage, so a few is plenty; the cap keeps a stream of new endpoints from holding memory for good.
 */
export const DEFAULT_MANAGEMENT_CLIENTS = 4

/**
 * One management client per `@connections` endpoint (an API stage), built on first use with the
 * same settings, which are checked here, when the pool is made: a bad value is a deployment
 * error to refuse at once, not a failure of every post. At most `maxClients` are kept: the
 * least recently used one beyond that is destroyed (its sockets closed) and `onEvict` told.
 *
 * @example
 * const pool = createManagementPool({ region: 'eu-west-1', postConcurrency: 128 })
 * // createRouter and createFanOutHandler pass their own options: they extend these.
 * const client = pool.clientFor('https://abc123.execute-api.eu-west-1.amazonaws.com/prod')
 */
export function createManagementPool(
  options: ManagementPoolOptions & {
    /** Clients kept (default {@link DEFAULT_MANAGEMENT_CLIENTS}). */
    maxClients?: number
    /** Told of each endpoint whose client was destroyed to make room (drop what holds it). */
    onEvict?: (endpoint: string) => void
  },
) {
  const postConcurrency = checkOption('postConcurrency', options.postConcurrency ?? DEFAULT_POST_CONCURRENCY)
  const maxSockets = checkOption('managementMaxSockets', options.managementMaxSockets ?? postConcurrency)
  const maxClients = positiveWholeNumber('maxClients', options.maxClients ?? DEFAULT_MANAGEMENT_CLIENTS)
  // In order of use, least recent first (a Map keeps insertion order; a use re-inserts).
  const clients = new Map<string, ApiGatewayManagementApiClient>()
  return {
    postConcurrency,
    maxSockets,
    clientFor(endpoint: string): ApiGatewayManagementApiClient {
      let client = clients.get(endpoint)
      if (client) {
        clients.delete(endpoint)
        clients.set(endpoint, client)
        return client
      }
      client = createManagementClient({
        endpoint,
        region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
        credentials: options.managementCredentials,
        timeoutMs: options.managementTimeoutMs || DEFAULT_MANAGEMENT_TIMEOUT_MS,
        maxAttempts: options.managementMaxAttempts || DEFAULT_MANAGEMENT_MAX_ATTEMPTS,
        maxSockets,
      })
      clients.set(endpoint, client)
      for (const [oldest, evicted] of clients) {
        if (clients.size <= maxClients) break
        clients.delete(oldest)
        evicted.destroy()
        options.onEvict?.(oldest)
      }
      return client
    },
    /** Endpoints with a client, least recently used first. */
    endpoints: (): string[] => [...clients.keys()],
    /** Releases every client's sockets. */
    destroy() {
      for (const client of clients.values()) client.destroy()
      clients.clear()
    },
  }
}

export type ManagementPool = ReturnType<typeof createManagementPool>
