import {
  ApiGatewayManagementApiClient,
  type ApiGatewayManagementApiClientConfig,
  GetConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi'
import { httpTimeouts } from '../client.js'
import { isNetworkFailure } from '../util/networkFailure.js'

export type ConnectionState =
  | { status: 'connected' }
  | { status: 'gone' }
  | { status: 'error'; error: string }
  /** No answer at all (refused, DNS, timeout): says nothing about the connection. */
  | { status: 'unreachable'; error: string }

/** Asks whether a WebSocket connection still exists. */
export type ConnectionProbe = (connectionId: string) => Promise<ConnectionState>

/**
 * A probe that calls GetConnection on the API Gateway management API (`https://{apiId}.execute-api.
 * {region}.amazonaws.com/{stage}`, or the local gateway's). HTTP 410 means gone; the status code
 * is checked, not only the error name, as the protocol asks of every 410 (docs/protocol.md, Gone connections).
 *
 * @example
 * const { probe, close } = createConnectionProbe({ endpoint: 'http://127.0.0.1:3001', region: 'local' })
 * await probe('L0SM9cOFvHcCIhw=') // { status: 'gone' }
 */
export function createConnectionProbe(options: {
  endpoint: string
  region?: ApiGatewayManagementApiClientConfig['region']
  credentials?: ApiGatewayManagementApiClientConfig['credentials']
  /** An attempt with no answer after this long (ms) is abandoned (default 10,000; 2 attempts). */
  timeoutMs?: number
}): { probe: ConnectionProbe; close: () => void } {
  const client = new ApiGatewayManagementApiClient({
    endpoint: options.endpoint,
    region: options.region,
    credentials: options.credentials,
    maxAttempts: 2,
    // A bare requestTimeout only logs a warning in the SDK: httpTimeouts makes it end the call.
    requestHandler: httpTimeouts(options.timeoutMs ?? 10_000, Math.min(options.timeoutMs ?? 2_000, 2_000)),
  })
  const probe: ConnectionProbe = async (connectionId) => {
    try {
      await client.send(new GetConnectionCommand({ ConnectionId: connectionId }))
      return { status: 'connected' }
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
      if (status === 410 || (error as Error).name === 'GoneException') return { status: 'gone' }
      const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
      if (status === undefined && isNetworkFailure(error)) return { status: 'unreachable', error: text }
      return { status: 'error', error: text }
    }
  }
  return { probe, close: () => client.destroy() }
}
