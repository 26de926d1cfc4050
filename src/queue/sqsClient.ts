import { SQSClient } from '@aws-sdk/client-sqs'
import { DEFAULT_REQUEST_TIMEOUT_MS, httpTimeouts } from '../client.js'

export interface SqsClientOptions {
  /** Endpoint URL; the SDK's own `AWS_ENDPOINT_URL_SQS` applies when unset. */
  endpoint?: string
  region?: string
  /** Attempts per request, the first included (SDK default 3). */
  maxAttempts?: number
  /** Gives up on an attempt with no answer after this long (ms; default 30,000). */
  requestTimeoutMs?: number
  credentials?: { accessKeyId: string; secretAccessKey: string }
}

/**
 * An SQS client configured like chatdb's other clients: timeouts that end a hung request
 * (`httpTimeouts`), everything else from the SDK's default chains. A send that never
 * answers would otherwise hold a fan-out job until its Lambda times out and the whole batch
 * comes back.
 *
 * @example
 * const queue = createSqsQueue({ client: createSqsClient({ requestTimeoutMs: 2_000 }), queueUrl })
 */
export function createSqsClient(options: SqsClientOptions = {}): SQSClient {
  return new SQSClient({
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.region ? { region: options.region } : {}),
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    requestHandler: httpTimeouts(options.requestTimeoutMs || DEFAULT_REQUEST_TIMEOUT_MS),
  })
}
