import { connect } from 'node:net'
import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startGatewayServer } from '../../../../cli/gateway/gatewayServer.js'
import { type Gateway, type GatewayOptions, startGateway } from '../../../../cli/gateway/startGateway.js'
import { MAX_OUTGOING_FRAME_BYTES } from '../../../../src/protocol/fitFrame.js'
import { useTestTable } from '../../../support/dynamo.js'
import { scanAll } from '../../../support/scan.js'
import { connectClient, type TestClient } from '../../../support/wsClient.js'

// API Gateway's idle timeout and connection duration, scaled from 10 minutes and 2 hours to about
// a second by the gateway's options (the flags `--idle-timeout` and `--max-connection-age`).
const t = useTestTable()
const POLL = { timeout: 15_000 }
const running: Gateway[] = []
const timers: NodeJS.Timeout[] = []

afterEach(async () => {
  for (const timer of timers.splice(0)) clearInterval(timer)
  await Promise.all(running.splice(0).map((gateway) => gateway.close()))
})

async function gatewayWith(limits: Pick<GatewayOptions, 'idleTimeoutMs' | 'maxConnectionAgeMs'>) {
  const lines: string[] = []
  const gateway = await startGateway({
    port: 0,
    documentClient: t.documentClient,
    tableName: t.tableName,
    log: (line) => lines.push(line),
    ...limits,
  })
  running.push(gateway)
  /** Connection ids in the order they connected (from the `$connect` log lines). */
  const ids = () =>
    lines.filter((line) => line.startsWith('$connect ')).map((line) => line.split(' ')[1] as string)
  return { gateway, ids }
}

/** The close code and reason the client got. */
const closeOf = (client: TestClient) =>
  new Promise<{ code: number; reason: string }>((resolve) =>
    client.socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  )

/** Calls `act` every 200 ms until the test ends. */
function every(act: () => void) {
  timers.push(setInterval(act, 200))
}

async function joined(client: TestClient, userName: string, ...rooms: string[]) {
  for (const roomName of rooms) {
    client.send({ action: 'subscribe', roomName, userName })
    await client.next('subscribed', (f) => 'roomName' in f && f.roomName === roomName)
  }
}

/** Every item of the table that names the connection (its subscriptions, anything else). */
async function itemsNaming(connectionId: string) {
  return (await scanAll(t.documentClient, t.tableName)).filter((item) =>
    JSON.stringify(item).includes(connectionId),
  )
}

describe('connection lifetime (gatewayServer, startGateway)', () => {
  describe('idle timeout', () => {
    it('closes a connection with no message for the idle timeout with 1001 and cleans it up; an active one stays', async () => {
      const { gateway, ids } = await gatewayWith({ idleTimeoutMs: 1_000, maxConnectionAgeMs: Infinity })
      const quiet = await connectClient(gateway.url)
      const busy = await connectClient(gateway.url)
      const [quietId, busyId] = ids() as [string, string]
      const quietClosed = closeOf(quiet)
      await joined(quiet, 'ida', 'idle-shared', 'idle-alone')
      await joined(busy, 'bea', 'idle-shared')
      every(() => busy.send({ action: 'listRooms' }))
      expect(await quietClosed).toEqual({ code: 1001, reason: 'Going away' })
      // $disconnect ran: the room that is left tells its member, the other one is empty.
      expect(await busy.next('userUnsubscribed')).toEqual({
        type: 'userUnsubscribed',
        roomName: 'idle-shared',
        userName: 'ida',
      })
      await expect.poll(() => itemsNaming(quietId), POLL).toEqual([])
      expect(await t.repository().connectionsInRoom('idle-alone')).toEqual([])
      expect((await t.repository().connectionsInRoom('idle-shared')).map((s) => s.connectionId)).toEqual([
        busyId,
      ])
      // Several idle timeouts later the active one is still there, and still served.
      const rounds = busy.frames.filter((f) => f.type === 'roomList').length
      await expect
        .poll(() => busy.frames.filter((f) => f.type === 'roomList').length, POLL)
        .toBeGreaterThan(rounds + 10)
      expect(busy.socket.readyState).toBe(WebSocket.OPEN)
      expect(gateway.stats()).toMatchObject({
        idleClosedConnections: 1,
        agedOutConnections: 0,
        connections: 1,
      })
    })

    it('counts posts to the connection as activity, and pings as none', async () => {
      const { gateway } = await gatewayWith({ idleTimeoutMs: 1_000, maxConnectionAgeMs: Infinity })
      const speaker = await connectClient(gateway.url)
      const listener = await connectClient(gateway.url)
      const pinger = await connectClient(gateway.url)
      const pingerClosed = closeOf(pinger)
      await joined(speaker, 'sam', 'idle-posts')
      await joined(listener, 'lou', 'idle-posts')
      every(() => speaker.send({ action: 'sendMessage', roomName: 'idle-posts', message: 'still here' }))
      every(() => pinger.socket.ping())
      // The pinger never sends a message: pings do not keep it open (API Gateway's idle timeout).
      expect(await pingerClosed).toEqual({ code: 1001, reason: 'Going away' })
      // The listener never sends either, but is posted to all along.
      const heard = listener.frames.filter((f) => f.type === 'newMessage').length
      await expect
        .poll(() => listener.frames.filter((f) => f.type === 'newMessage').length, POLL)
        .toBeGreaterThan(heard + 10)
      expect(listener.socket.readyState).toBe(WebSocket.OPEN)
      expect(gateway.stats().idleClosedConnections).toBe(1)
    })

    it('reports 1001 "Going away" to $disconnect also when the client hangs up without answering', async () => {
      const seen: APIGatewayProxyWebsocketEventV2[] = []
      const gateway = await startGatewayServer({
        port: 0,
        idleTimeoutMs: 500,
        router: () => ({
          handler: async (event) => {
            seen.push(event)
            return { statusCode: 200 }
          },
          close: () => {},
        }),
      })
      // A client that hangs up on the gateway's close frame instead of answering it (ws says 1006).
      const raw = connect(Number(new URL(gateway.url).port), '127.0.0.1')
      raw.on('error', () => {})
      raw.write(
        'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      )
      // 0x88: a close frame, the only frame this gateway sends an idle client.
      raw.on('data', (chunk: Buffer) => {
        if (chunk.includes(0x88)) raw.destroy()
      })
      await expect
        .poll(() => seen.find((e) => e.requestContext.routeKey === '$disconnect')?.requestContext, POLL)
        .toMatchObject({ disconnectStatusCode: 1001, disconnectReason: 'Going away' })
      await gateway.close()
    })
  })

  describe('maximum connection age', () => {
    it('closes a connection that reaches the maximum age with 1001 and cleans it up, however active', async () => {
      const { gateway, ids } = await gatewayWith({ idleTimeoutMs: Infinity, maxConnectionAgeMs: 1_500 })
      const old = await connectClient(gateway.url)
      const [oldId] = ids() as [string]
      const oldClosed = closeOf(old)
      await joined(old, 'otto', 'aged-a', 'aged-b')
      every(() => old.send({ action: 'listRooms' }))
      expect(await oldClosed).toEqual({ code: 1001, reason: 'Going away' })
      await expect.poll(() => itemsNaming(oldId), POLL).toEqual([])
      expect(await t.repository().connectionsInRoom('aged-a')).toEqual([])
      expect(await t.repository().connectionsInRoom('aged-b')).toEqual([])
      expect(gateway.stats()).toMatchObject({
        agedOutConnections: 1,
        idleClosedConnections: 0,
        connections: 0,
      })
    })
  })

  describe('message size', () => {
    it('takes a 128 KB message and closes the connection with 1009 on a bigger one, as API Gateway does', async () => {
      const { gateway } = await gatewayWith({})
      const client = await connectClient(gateway.url)
      client.send('x'.repeat(MAX_OUTGOING_FRAME_BYTES))
      // Handled (as a bad frame: not JSON), the connection kept.
      expect(await client.next('error')).toMatchObject({ statusCode: 400 })
      expect(client.socket.readyState).toBe(WebSocket.OPEN)
      const closed = closeOf(client)
      client.send('x'.repeat(MAX_OUTGOING_FRAME_BYTES + 1))
      expect((await closed).code).toBe(1009)
    })
  })
})
