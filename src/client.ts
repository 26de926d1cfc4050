import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'

export interface ClientOptions {
  /** Endpoint URL; the SDK's own `AWS_ENDPOINT_URL_DYNAMODB` applies when unset. */
  endpoint?: string
  region?: string
  /** Attempts per request, the first included (SDK default 3). */
  maxAttempts?: number
  /** Gives up on a connection or a response after this long (ms). */
  requestTimeoutMs?: number
  credentials?: DynamoDBClientConfig['credentials']
}

/**
 * A DynamoDB document client configured for chatdb: undefined values dropped, everything
 * else from the SDK's default chains (region, credentials, endpoint variables).
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
  if (options.requestTimeoutMs) {
    config.requestHandler = {
      connectionTimeout: options.requestTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
    }
  }
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    marshallOptions: { removeUndefinedValues: true },
  })
}
