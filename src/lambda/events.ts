import { ChatDbError } from '../errors.js'
import type { RequestInfo } from '../service/chatService.js'

// The event and result types are our own, field for field those of @types/aws-lambda's
// `APIGatewayProxyWebsocketEventV2`: the shipped declarations must compile in a user's project
// with `skipLibCheck: false`, and @types/aws-lambda is only a devDependency here (a types-only
// runtime dependency would be a worse trade). Structural typing keeps them interchangeable.

/** `requestContext` of an API Gateway WebSocket (v2) event. */
export interface WebSocketRequestContext {
  routeKey: string
  messageId: string
  eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT'
  extendedRequestId: string
  requestTime: string
  messageDirection: 'IN'
  stage: string
  connectedAt: number
  requestTimeEpoch: number
  requestId: string
  domainName: string
  connectionId: string
  apiId: string
}

/** An API Gateway WebSocket (v2) Lambda proxy event (`APIGatewayProxyWebsocketEventV2` of @types/aws-lambda). */
export interface WebSocketEvent {
  requestContext: WebSocketRequestContext
  body?: string
  isBase64Encoded: boolean
  stageVariables?: { [name: string]: string | undefined }
}

/** What a route handler returns to API Gateway (`$connect`: anything but 200 refuses the connection). */
export interface RouteResponse {
  statusCode: number
}

/** The part of Lambda's invocation context the handlers read (`Context` of @types/aws-lambda). */
export interface LambdaInvocationContext {
  /** Lambda's request id, as in the invocation's START / REPORT lines. */
  awsRequestId: string
}

/** A handler for one API Gateway WebSocket (v2) route; Lambda passes its context second. */
export type WebSocketHandler = (
  event: WebSocketEvent,
  context?: LambdaInvocationContext,
) => Promise<RouteResponse>

/** The request as the service sees it; the connection id comes from API Gateway, never from the body. */
export function requestInfoOf(event: WebSocketEvent): RequestInfo {
  const { connectionId, requestId, requestTimeEpoch } = event.requestContext
  return { connectionId, requestId, requestTimeEpoch }
}

/** The frame's text; binary frames arrive base64-encoded. */
export function bodyOf(event: WebSocketEvent): string | undefined {
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
export function managementEndpointOf(event: WebSocketEvent, region: string | undefined): string {
  const { apiId, stage } = event.requestContext
  if (!region) {
    throw new ChatDbError(
      'connections.config',
      'no region to build the management endpoint: set AWS_REGION or CHATDB_MANAGEMENT_ENDPOINT',
    )
  }
  return `https://${apiId}.execute-api.${region}.amazonaws.com/${stage}`
}
