import { request as httpRequest } from 'node:http'
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { type Gateway, startGateway } from '../../../../cli/gateway/startGateway.js'
import { useTestTable } from '../../../support/dynamo.js'
import { connectClient, type TestClient } from '../../../support/wsClient.js'

// What a web page on another site (or a DNS-rebinding name) can do with the developer's local
// gateway: nothing. Browsers always send Origin on upgrades and POSTs, and Host as they resolved it.
const t = useTestTable()
let gateway: Gateway
let port: number
const logLines: string[] = []
const clients: TestClient[] = []

beforeAll(async () => {
  gateway = await startGateway({
    port: 0,
    documentClient: t.documentClient,
    tableName: t.tableName,
    log: (line) => logLines.push(line),
    allowedOrigins: ['http://localhost:5173'],
    allowedHosts: ['devbox.test'],
  })
  port = Number(new URL(gateway.url).port)
})
afterAll(async () => {
  for (const client of clients) client.socket.terminate()
  await gateway.close()
})

/** The status an upgrade with these headers gets: 101 when it opens, else the refusal's. */
function upgradeStatus(headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(gateway.url, { headers })
    socket.on('open', () => {
      socket.close()
      resolve(101)
    })
    socket.on('unexpected-response', (_request, response) => {
      response.resume()
      resolve(response.statusCode ?? 0)
    })
    socket.on('error', () => {})
  })
}

/** A plain HTTP request with any Host header (fetch does not let a caller choose it). */
function raw(
  path: string,
  options: { host?: string; method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: { host: options.host ?? `127.0.0.1:${port}`, ...options.headers },
      },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        )
      },
    )
    request.on('error', reject)
    request.end(options.body)
  })
}

/** A client subscribed to `room` as `user`, and its connection id (the room's only member). */
async function member(room: string, user: string) {
  const c = await connectClient(gateway.url)
  clients.push(c)
  c.send({ action: 'subscribe', roomName: room, userName: user })
  await c.next('subscribed')
  const [subscription] = await t.repository().connectionsInRoom(room)
  return { c, connectionId: subscription?.connectionId as string }
}

describe('WebSocket upgrades by Origin', () => {
  it('refuses a page on another site with 403, and runs no $connect for it', async () => {
    const connects = logLines.filter((line) => line.startsWith('$connect ')).length
    expect(await upgradeStatus({ origin: 'https://evil.example' })).toBe(403)
    expect(await upgradeStatus({ origin: 'null' })).toBe(403)
    // Another server on this machine is another origin too.
    expect(await upgradeStatus({ origin: `http://127.0.0.1:${port + 1}` })).toBe(403)
    expect(await upgradeStatus({ origin: `https://127.0.0.1:${port}` })).toBe(403)
    expect(logLines.filter((line) => line.startsWith('$connect ')).length).toBe(connects)
  })

  it('accepts its own page under the names it answers to, clients that send no Origin, and allowed origins', async () => {
    expect(await upgradeStatus({ origin: `http://127.0.0.1:${port}` })).toBe(101)
    expect(await upgradeStatus({ origin: `http://localhost:${port}` })).toBe(101)
    expect(await upgradeStatus({ origin: `http://devbox.test:${port}`, host: `devbox.test:${port}` })).toBe(
      101,
    )
    expect(await upgradeStatus({})).toBe(101)
    expect(await upgradeStatus({ origin: 'http://localhost:5173' })).toBe(101)
    expect(await upgradeStatus({ origin: 'http://LOCALHOST:5173' })).toBe(101)
  })
})

describe('HTTP by Host', () => {
  it('answers a name it does not know (DNS rebinding) with 421, echoing it nowhere', async () => {
    for (const path of ['/', '/inspect', '/inspect/api/rooms', '/@connections/AAAAAAAAAAAAAAA=']) {
      const response = await raw(path, { host: `rebind.evil.example:${port}` })
      expect(response.status, path).toBe(421)
      expect(JSON.stringify(response.headers), path).not.toContain('evil')
      expect(response.body, path).not.toContain('evil')
      expect(response.body, path).toContain('--allow-host')
    }
  })

  it('refuses an upgrade to a name it does not know, even from that name’s own page', async () => {
    const evil = `rebind.evil.example:${port}`
    expect(await upgradeStatus({ host: evil, origin: `http://${evil}` })).toBe(421)
  })

  it('answers the bound address, localhost and allowed names, with a CSP naming only them', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `devbox.test:${port}`, 'LocalHost']) {
      const response = await raw('/', { host })
      expect(response.status, host).toBe(200)
      expect(response.headers['content-security-policy'], host).toContain(`ws://${host.toLowerCase()}`)
    }
  })
})

describe('the @connections API', () => {
  it('refuses an unsigned cross-site form post (text/plain, Origin), and the socket gets nothing', async () => {
    const { c, connectionId } = await member('forge-room', 'victim')
    const forged = JSON.stringify({
      type: 'newMessage',
      roomName: 'forge-room',
      userName: 'admin',
      message: 'your session expired: log in at evil.example',
    })
    const path = `/@connections/${encodeURIComponent(connectionId)}`
    const form = await raw(path, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: 'https://evil.example' },
      body: forged,
    })
    expect(form.status).toBe(403)
    expect(form.headers['x-amzn-errortype']).toBe('ForbiddenException')
    // Unsigned without Origin (curl), or signed-looking but from a browser: refused as well.
    expect((await raw(path, { method: 'POST', body: forged })).status).toBe(403)
    const signedLooking = {
      authorization:
        'AWS4-HMAC-SHA256 Credential=local/20260101/local/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=00',
      'x-amz-date': '20260101T000000Z',
    }
    expect(
      (
        await raw(path, {
          method: 'POST',
          headers: { ...signedLooking, origin: `http://127.0.0.1:${port}` },
          body: forged,
        })
      ).status,
    ).toBe(403)
    expect((await raw(path, { method: 'DELETE' })).status).toBe(403)
    // The real SDK client still posts, and that is the only frame the victim gets.
    const management = new ApiGatewayManagementApiClient({
      endpoint: gateway.managementEndpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    })
    await management.send(
      new PostToConnectionCommand({
        ConnectionId: connectionId,
        Data: Buffer.from('{"type":"unsubscribed","roomName":"posted"}'),
      }),
    )
    await c.next('unsubscribed')
    management.destroy()
    expect(c.frames.filter((frame) => frame.type === 'newMessage')).toEqual([])
    expect(c.socket.readyState).toBe(WebSocket.OPEN)
  })
})

describe('the operator view API', () => {
  it('shows members by name, never by connection id', async () => {
    const { connectionId } = await member('ops-secret', 'ada')
    const response = await raw('/inspect/api/room/ops-secret')
    expect(response.status).toBe(200)
    const room = JSON.parse(response.body) as { users: string[]; subscribers: { userName: string }[] }
    expect(room.users).toEqual(['ada'])
    expect(room.subscribers).toEqual([{ userName: 'ada', subscribedAt: expect.any(Number) }])
    expect(response.body).not.toContain(connectionId)
  })
})
