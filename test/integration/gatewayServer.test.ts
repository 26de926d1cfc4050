import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startGatewayServer } from '../../cli/gateway/gatewayServer.js'
import { connectClient } from '../support/wsClient.js'

type SeenEvent = APIGatewayProxyWebsocketEventV2 & {
  headers?: Record<string, string>
  requestContext: { disconnectStatusCode?: number; disconnectReason?: string; eventType: string }
}

/** A gateway over a router that records events and answers $connect with `connectStatus`. */
async function recordingGateway(connectStatus: number) {
  const events: SeenEvent[] = []
  const lines: string[] = []
  const gateway = await startGatewayServer({
    port: 0,
    log: (line) => lines.push(line),
    router: () => ({
      handler: async (event) => {
        events.push(event as SeenEvent)
        return { statusCode: event.requestContext.routeKey === '$connect' ? connectStatus : 200 }
      },
      close: () => {},
    }),
  })
  return { gateway, events, lines }
}

describe('startGatewayServer', () => {
  it('refuses the upgrade with the status $connect answered', async () => {
    const { gateway, events, lines } = await recordingGateway(403)
    const socket = new WebSocket(gateway.url)
    const status = await new Promise<number>((resolve) => {
      socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0))
      socket.on('error', () => {})
    })
    expect(status).toBe(403)
    expect(events.map((e) => e.requestContext.routeKey)).toEqual(['$connect'])
    expect(lines).toEqual([expect.stringMatching(/^\$connect \S+ 403 \d+ms$/)])
    await gateway.close()
  })

  it('makes API Gateway-shaped events: headers on $connect, body on messages, close code on $disconnect', async () => {
    const { gateway, events } = await recordingGateway(200)
    const client = await connectClient(gateway.url)
    client.send('{"action":"listRooms"}')
    client.send('{"action":"dance"}')
    client.socket.close(4000, 'bye')
    await client.closed
    while (events.length < 4) await new Promise((resolve) => setTimeout(resolve, 5))
    const [connect, list, unknown, disconnect] = events as [SeenEvent, SeenEvent, SeenEvent, SeenEvent]
    expect(connect.requestContext).toMatchObject({ routeKey: '$connect', eventType: 'CONNECT' })
    expect(connect.headers?.upgrade?.toLowerCase()).toBe('websocket')
    expect(list).toMatchObject({ body: '{"action":"listRooms"}', requestContext: { routeKey: 'listRooms' } })
    expect(unknown.requestContext).toMatchObject({ routeKey: '$default', eventType: 'MESSAGE' })
    expect(disconnect.requestContext).toMatchObject({
      routeKey: '$disconnect',
      eventType: 'DISCONNECT',
      disconnectStatusCode: 4000,
      disconnectReason: 'bye',
    })
    const ids = new Set(events.map((e) => e.requestContext.connectionId))
    expect(ids.size).toBe(1)
    expect(new Set(events.map((e) => e.requestContext.requestId)).size).toBe(4)
    await gateway.close()
  })

  it('answers plain HTTP with 426 and unknown @connections ids with 410', async () => {
    const { gateway } = await recordingGateway(200)
    expect((await fetch(gateway.managementEndpoint)).status).toBe(426)
    const gone = await fetch(
      `${gateway.managementEndpoint}/@connections/${encodeURIComponent('AAAAAAAAAAAAAAA=')}`,
    )
    expect(gone.status).toBe(410)
    expect(gone.headers.get('x-amzn-errortype')).toBe('GoneException')
    await gateway.close()
  })
})
