import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda'

export type FixtureName =
  | 'connect'
  | 'disconnect'
  | 'subscribe'
  | 'unsubscribe'
  | 'sendMessage'
  | 'listRooms'
  | 'default'

const cache = new Map<FixtureName, APIGatewayProxyWebsocketEventV2>()

/** A fresh API Gateway-like id: 16 base64 characters. */
export const gatewayId = () => randomBytes(11).toString('base64')

/**
 * A copy of `fixtures/events/<name>.json` with the caller's connection id, body and request id
 * (a fresh one unless given, as API Gateway issues one per frame).
 */
export function fixtureEvent(
  name: FixtureName,
  overrides: {
    connectionId: string
    body?: unknown
    routeKey?: string
    requestId?: string
    requestTimeEpoch?: number
    isBase64Encoded?: boolean
  },
): APIGatewayProxyWebsocketEventV2 {
  let base = cache.get(name)
  if (!base) {
    const url = new URL(`../../fixtures/events/${name}.json`, import.meta.url)
    base = JSON.parse(readFileSync(url, 'utf8')) as APIGatewayProxyWebsocketEventV2
    cache.set(name, base)
  }
  const event = structuredClone(base)
  const context = event.requestContext
  context.connectionId = overrides.connectionId
  context.requestId = overrides.requestId ?? gatewayId()
  context.extendedRequestId = context.requestId
  if (overrides.requestTimeEpoch !== undefined) context.requestTimeEpoch = overrides.requestTimeEpoch
  if (overrides.routeKey !== undefined) context.routeKey = overrides.routeKey
  if (overrides.body !== undefined) {
    event.body = typeof overrides.body === 'string' ? overrides.body : JSON.stringify(overrides.body)
  }
  if (overrides.isBase64Encoded !== undefined) event.isBase64Encoded = overrides.isBase64Encoded
  return event
}
