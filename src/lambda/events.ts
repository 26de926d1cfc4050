import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda'
import type { RequestInfo } from '../service/chatService.js'

/** What a route handler returns to API Gateway (`$connect`: anything but 200 refuses the connection). */
export interface RouteResponse {
  statusCode: number
}

/** A handler for one API Gateway WebSocket (v2) route. */
export type WebSocketHandler = (event: APIGatewayProxyWebsocketEventV2) => Promise<RouteResponse>

/** The request as the service sees it; the connection id comes from API Gateway, never from the body. */
export function requestInfoOf(event: APIGatewayProxyWebsocketEventV2): RequestInfo {
  const { connectionId, requestId, requestTimeEpoch } = event.requestContext
  return { connectionId, requestId, requestTimeEpoch }
}

/** The frame's text; binary frames arrive base64-encoded. */
export function bodyOf(event: APIGatewayProxyWebsocketEventV2): string | undefined {
  if (event.body === undefined || event.body === null) return undefined
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body
}

/**
 * The `@connections` endpoint of the API that sent the event. Built from `apiId` and `stage`,
 * not `domainName`: a custom domain does not serve the management API.
 *
 * @example
 * managementEndpointOf(event, 'eu-west-1') // 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod'
 */
export function managementEndpointOf(
  event: APIGatewayProxyWebsocketEventV2,
  region: string | undefined,
): string {
  const { apiId, stage } = event.requestContext
  if (!region) {
    throw new Error(
      'no region to build the management endpoint: set AWS_REGION or CHATDB_MANAGEMENT_ENDPOINT',
    )
  }
  return `https://${apiId}.execute-api.${region}.amazonaws.com/${stage}`
}
