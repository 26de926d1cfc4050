import { randomBytes } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda'
import { ACTION_NAMES } from '../../src/protocol/actions.js'

/** An id like API Gateway's connection and request ids: 16 base64 characters, e.g. `Xk3a9cD1oAMCJzQ=`. */
export function newGatewayId(): string {
  return randomBytes(11).toString('base64')
}

/** What the gateway knows of a connection, for its events and the `@connections` GET. */
export interface ConnectionInfo {
  connectionId: string
  connectedAt: number
  sourceIp: string
  userAgent: string | undefined
  headers: IncomingHttpHeaders
}

export interface GatewayStage {
  apiId: string
  stage: string
  domainName: string
}

/** The event API Gateway hands the integration, with the headers it adds on `$connect`/`$disconnect`. */
export type GatewayEvent = APIGatewayProxyWebsocketEventV2 & {
  headers?: Record<string, string>
  multiValueHeaders?: Record<string, string[]>
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** API Gateway's `requestTime`: `25/Nov/2026:19:40:01 +0000`. */
export function requestTimeOf(epochMs: number): string {
  const d = new Date(epochMs)
  const two = (n: number) => String(n).padStart(2, '0')
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(
    d.getUTCMinutes(),
  )}:${two(d.getUTCSeconds())} +0000`
}

/**
 * Route selection as API Gateway does it with `$request.body.action`: a JSON object whose
 * `action` names a route goes there; anything else (not JSON, no action, an unknown one) to `$default`.
 */
export function selectRoute(body: string): string {
  try {
    const json: unknown = JSON.parse(body)
    if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
      const { action } = json as { action?: unknown }
      if (typeof action === 'string' && (ACTION_NAMES as readonly string[]).includes(action)) return action
    }
  } catch {
    // Not JSON: API Gateway cannot evaluate the selection expression and uses $default.
  }
  return '$default'
}

function flatHeaders(headers: IncomingHttpHeaders) {
  const single: Record<string, string> = {}
  const multi: Record<string, string[]> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    const values = Array.isArray(value) ? value : [value]
    single[name] = values.join(',')
    multi[name] = values
  }
  return { headers: single, multiValueHeaders: multi }
}

/** Builds one WebSocket v2 event for the router, shaped like fixtures/events/*.json. */
export function buildEvent(
  stage: GatewayStage,
  connection: ConnectionInfo,
  route: { routeKey: string; body?: string; disconnect?: { statusCode: number; reason: string } },
  now = Date.now(),
): GatewayEvent {
  const requestId = newGatewayId()
  const eventType =
    route.routeKey === '$connect' ? 'CONNECT' : route.routeKey === '$disconnect' ? 'DISCONNECT' : 'MESSAGE'
  const requestContext = {
    routeKey: route.routeKey,
    ...(eventType === 'MESSAGE' ? { messageId: newGatewayId() } : {}),
    eventType,
    extendedRequestId: requestId,
    requestTime: requestTimeOf(now),
    messageDirection: 'IN',
    ...(route.disconnect
      ? { disconnectStatusCode: route.disconnect.statusCode, disconnectReason: route.disconnect.reason }
      : {}),
    stage: stage.stage,
    connectedAt: connection.connectedAt,
    requestTimeEpoch: now,
    identity: {
      sourceIp: connection.sourceIp,
      ...(connection.userAgent ? { userAgent: connection.userAgent } : {}),
    },
    requestId,
    domainName: stage.domainName,
    connectionId: connection.connectionId,
    apiId: stage.apiId,
  } as GatewayEvent['requestContext']
  if (eventType === 'MESSAGE') {
    return { requestContext, body: route.body ?? '', isBase64Encoded: false }
  }
  return { ...flatHeaders(connection.headers), requestContext, isBase64Encoded: false }
}
