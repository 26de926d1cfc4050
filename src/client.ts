import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'

/**
 * Default of `requestTimeoutMs`: finite, so a dead endpoint ends the call, and generous (as the
 * AWS CLI's 60 s are): the timer also runs while a request waits for a pooled socket, and a
 * busy process (a local stack under load) must not take queueing for a hang. Code with a hard
 * deadline sets its own (the Lambda handlers use 2 s).
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000

export interface ClientOptions {
  /** Endpoint URL; the SDK's own `AWS_ENDPOINT_URL_DYNAMODB` applies when unset. */
  endpoint?: string
  /** A region, or a provider of one (default: the SDK's chain). */
  region?: DynamoDBClientConfig['region']
  /** Attempts per request, the first included (SDK default 3). */
  maxAttempts?: number
  /**
   * Gives up on an attempt that has no answer after this long (ms), and on a socket idle that
   * long mid-answer (default 30,000). The SDK retries it like any transient failure.
   */
  requestTimeoutMs?: number
  /** Gives up on establishing a connection after this long (ms; default `requestTimeoutMs`). */
  connectionTimeoutMs?: number
  credentials?: DynamoDBClientConfig['credentials']
}

/**
 * The HTTP handler options for timeouts that really end a hung request. The SDK's bare
 * `requestTimeout` only logs a warning (`throwOnRequestTimeout` opts in to the error), and no
 * timeout at all is its default: a server that accepts and never answers would hold the call
 * for ever. Worst case per call: `maxAttempts × timeout` plus the retry strategy's backoff.
 */
export function httpTimeouts(requestTimeoutMs: number, connectionTimeoutMs = requestTimeoutMs) {
  return {
    connectionTimeout: connectionTimeoutMs,
    requestTimeout: requestTimeoutMs,
    throwOnRequestTimeout: true,
    socketTimeout: requestTimeoutMs,
  }
}

/**
 * The longest one SDK call can take against an endpoint that accepts and never answers: every
 * attempt runs into its timeout, with the standard retry strategy's backoff between attempts
 * (at most 100 ms × 2^retry for a timeout; throttling backs off longer, but a throttled
 * request is answered, not hung). What a Lambda's timeout must leave room for.
 *
 * @example
 * worstCaseCallMs(2_000, 3) // 6_600: 3 × 2 s + 200 ms + 400 ms
 */
export function worstCaseCallMs(timeoutMs: number, attempts: number): number {
  let total = attempts * timeoutMs
  for (let retry = 1; retry < attempts; retry++) total += Math.min(20_000, 100 * 2 ** retry)
  return total
}

/**
 * A DynamoDB document client configured for chatdb: undefined values dropped, timeouts that
 * end a hung request, everything else from the SDK's default chains (region, credentials,
 * endpoint variables).
 *
 * @example
 * const documentClient = createDocumentClient({ endpoint: 'http://127.0.0.1:8000', region: 'local' })
 */
export function createDocumentClient(options: ClientOptions = {}): DynamoDBDocumentClient {
  const config: DynamoDBClientConfig = {}
  if (options.endpoint) config.endpoint = options.endpoint
  if (options.region) config.region = options.region
  if (options.maxAttempts) config.maxAttempts = options.maxAttempts
  if (options.credentials) config.credentials = options.credentials
  config.requestHandler = httpTimeouts(
    options.requestTimeoutMs || DEFAULT_REQUEST_TIMEOUT_MS,
    options.connectionTimeoutMs || undefined,
  )
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    marshallOptions: { removeUndefinedValues: true },
  })
}

/**
 * The SDK's own region and credentials chains (AWS_REGION, a profile, keys in the environment, …),
 * with `fallback` for whichever of them finds nothing, instead of its "Region is missing" or
 * "Could not load credentials" error. The chains are borrowed from a client built with neither
 * (which sends nothing), so they are exactly the ones any other client uses. For endpoints that
 * check neither (a local DynamoDB): the CLI on a loopback endpoint.
 *
 * @example
 * createDocumentClient({ endpoint: 'http://127.0.0.1:8000', ...sdkChainsOr({ region: 'local', credentials }) })
 */
export function sdkChainsOr(fallback: {
  region: string
  credentials: { accessKeyId: string; secretAccessKey: string }
}): Required<Pick<DynamoDBClientConfig, 'region' | 'credentials'>> {
  const { config } = new DynamoDBClient({})
  return {
    region: () => config.region().catch(() => fallback.region),
    credentials: () => config.credentials().catch(() => fallback.credentials),
  }
}
