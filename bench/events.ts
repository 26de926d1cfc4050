import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda'

let sequence = 0

/** An API Gateway WebSocket (v2) event as the router receives it. */
export function websocketEvent(
  routeKey: string,
  connectionId: string,
  body?: Record<string, unknown>,
): APIGatewayProxyWebsocketEventV2 {
  const requestId = `bench${(++sequence).toString(36).padStart(10, '0')}=`
  const eventType =
    routeKey === '$connect' ? 'CONNECT' : routeKey === '$disconnect' ? 'DISCONNECT' : 'MESSAGE'
  return {
    requestContext: {
      routeKey,
      eventType,
      messageId: requestId,
      extendedRequestId: requestId,
      requestTime: new Date().toUTCString(),
      messageDirection: 'IN',
      stage: 'bench',
      connectedAt: Date.now(),
      requestTimeEpoch: Date.now(),
      requestId,
      domainName: 'bench.execute-api.local',
      connectionId,
      apiId: 'bench',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyWebsocketEventV2
}
