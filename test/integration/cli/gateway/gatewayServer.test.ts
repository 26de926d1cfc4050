import { ApiGatewayManagementApiClient, GetConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi'
import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startGatewayServer } from '../../../../cli/gateway/gatewayServer.js'
import { connectClient } from '../../../support/wsClient.js'

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

  it('answers unknown plain HTTP paths with 404 and unknown @connections ids with 410', async () => {
    const { gateway } = await recordingGateway(200)
    expect((await fetch(`${gateway.managementEndpoint}/nope`)).status).toBe(404)
    const management = new ApiGatewayManagementApiClient({
      endpoint: gateway.managementEndpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    })
    await expect(
      management.send(new GetConnectionCommand({ ConnectionId: 'AAAAAAAAAAAAAAA=' })),
    ).rejects.toMatchObject({ name: 'GoneException', $metadata: { httpStatusCode: 410 } })
    management.destroy()
    await gateway.close()
  })

  describe('per-connection queue', () => {
    /** A gateway whose router holds every MESSAGE until `release()`, recording what it ran. */
    async function heldGateway(maxQueuedFrames: number) {
      const events: SeenEvent[] = []
      let release = () => {}
      const held = new Promise<void>((resolve) => {
        release = resolve
      })
      const gateway = await startGatewayServer({
        port: 0,
        maxQueuedFrames,
        router: () => ({
          handler: async (event) => {
            events.push(event as SeenEvent)
            if (event.requestContext.eventType === 'MESSAGE') await held
            return { statusCode: 200 }
          },
          close: () => {},
        }),
      })
      const routes = () => events.map((e) => e.requestContext.routeKey)
      return { gateway, events, routes, release }
    }

    it('refuses a limit below 0 or not whole, in the settings’ wording, before it listens', async () => {
      for (const [limit, shown] of [
        [-1, '-1'],
        [1.5, '1.5'],
        [Number.NaN, 'NaN'],
      ] as const) {
        await expect(heldGateway(limit)).rejects.toMatchObject({
          code: 'validation.option',
          message: `maxQueuedFrames must be a whole number ≥ 0 (got ${shown})`,
        })
      }
    })

    const until = async (condition: () => boolean) => {
      while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5))
    }

    it('closes a flooding connection with 1013 once more frames wait than the limit, and drops them', async () => {
      const { gateway, routes, release } = await heldGateway(8)
      const client = await connectClient(gateway.url)
      let closeCode = 0
      client.socket.on('close', (code) => {
        closeCode = code
      })
      const frame = JSON.stringify({ action: 'sendMessage', roomName: 'r', message: 'x'.repeat(49_000) })
      for (let i = 0; i < 200; i++) client.send(frame)
      await client.closed
      expect(closeCode).toBe(1013)
      // One frame runs (held), 8 wait; the 10th closes the connection.
      await until(() => gateway.stats().connections === 0)
      expect(gateway.stats()).toMatchObject({ handledFrames: 1, throttledConnections: 1 })
      expect(gateway.stats().droppedFrames).toBeGreaterThanOrEqual(9)
      release()
      await until(() => routes().includes('$disconnect'))
      await gateway.close()
      // None of the waiting frames ran after the close; $disconnect followed the running one.
      expect(routes()).toEqual(['$connect', 'sendMessage', '$disconnect'])
      expect(gateway.stats()).toMatchObject({ handledFrames: 1, queuedFrames: 0 })
    })

    it('runs no waiting frame after its connection closed; $disconnect waits for the running one', async () => {
      const { gateway, routes, release } = await heldGateway(64)
      const client = await connectClient(gateway.url)
      for (let i = 0; i < 5; i++) client.send({ action: 'listRooms' })
      await until(() => gateway.stats().queuedFrames === 4)
      expect(gateway.stats()).toMatchObject({ handledFrames: 1, queuedFrames: 4 })
      await client.close()
      await until(() => gateway.stats().connections === 0)
      // The running frame has not finished: $disconnect has not run yet.
      expect(routes()).toEqual(['$connect', 'listRooms'])
      release()
      await until(() => routes().includes('$disconnect'))
      await gateway.close()
      expect(routes()).toEqual(['$connect', 'listRooms', '$disconnect'])
      expect(gateway.stats()).toMatchObject({ handledFrames: 1, droppedFrames: 4, throttledConnections: 0 })
    })

    it('handles every frame of a burst within the limit, in order', async () => {
      const events: string[] = []
      const gateway = await startGatewayServer({
        port: 0,
        maxQueuedFrames: 64,
        router: () => ({
          handler: async (event) => {
            if (event.body) events.push(event.body)
            return { statusCode: 200 }
          },
          close: () => {},
        }),
      })
      const client = await connectClient(gateway.url)
      for (let i = 0; i < 50; i++) client.send(String(i))
      await until(() => events.length === 50)
      expect(events).toEqual(Array.from({ length: 50 }, (_, i) => String(i)))
      await client.close()
      await gateway.close()
      expect(gateway.stats()).toMatchObject({ handledFrames: 50, droppedFrames: 0 })
    })
  })
})
