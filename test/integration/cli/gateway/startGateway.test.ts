import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildEvent, requestTimeOf, selectRoute } from '../../../../cli/gateway/gatewayEvents.js'
import { type Gateway, startGateway } from '../../../../cli/gateway/startGateway.js'
import { useTestTable } from '../../../support/dynamo.js'
import { connectClient, type TestClient } from '../../../support/wsClient.js'

const t = useTestTable()
let gateway: Gateway
const logLines: string[] = []
const clients: TestClient[] = []

async function client() {
  const c = await connectClient(gateway.url)
  clients.push(c)
  return c
}

/** The connection id the gateway gave a client: the one in its log line for `$connect`, matched by order. */
function connectionIds() {
  return logLines.filter((line) => line.startsWith('$connect ')).map((line) => line.split(' ')[1] as string)
}

beforeAll(async () => {
  gateway = await startGateway({
    port: 0,
    documentClient: t.documentClient,
    tableName: t.tableName,
    log: (line) => logLines.push(line),
  })
})
afterAll(async () => {
  await gateway.close()
})

describe('startGateway', () => {
  it('listens on a random port and posts through itself', () => {
    expect(gateway.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/)
    expect(gateway.managementEndpoint).toBe(gateway.url.replace('ws://', 'http://'))
  })

  it('lets two clients chat, and tells one when the other leaves', async () => {
    const ada = await client()
    const bob = await client()
    ada.send({ action: 'subscribe', roomName: 'duo', userName: 'ada' })
    expect(await ada.next('subscribed')).toEqual({
      type: 'subscribed',
      roomName: 'duo',
      users: ['ada'],
      messages: [],
    })
    bob.send({ action: 'subscribe', roomName: 'duo', userName: 'bob' })
    expect(await bob.next('subscribed')).toEqual({
      type: 'subscribed',
      roomName: 'duo',
      users: ['ada', 'bob'],
      messages: [],
    })
    expect(await ada.next('userSubscribed')).toEqual({
      type: 'userSubscribed',
      roomName: 'duo',
      userName: 'bob',
    })

    bob.send({ action: 'sendMessage', roomName: 'duo', message: 'hi ada' })
    for (const c of [ada, bob]) {
      const frame = await c.next('newMessage')
      expect(frame).toMatchObject({ roomName: 'duo', message: { userName: 'bob', message: 'hi ada' } })
      expect(typeof frame.message.time).toBe('number')
    }
    ada.send({ action: 'sendMessage', roomName: 'duo', message: 'hi bob' })
    expect((await bob.next('newMessage')).message).toMatchObject({ userName: 'ada', message: 'hi bob' })

    await bob.close()
    expect(await ada.next('userUnsubscribed')).toEqual({
      type: 'userUnsubscribed',
      roomName: 'duo',
      userName: 'bob',
    })
    expect((await t.repository().connectionsInRoom('duo')).map((s) => s.userName)).toEqual(['ada'])
    expect(ada.frames.filter((f) => f.type === 'newMessage')).toHaveLength(2)
  })

  it('delivers one message to each of 50 clients in a room, once', async () => {
    const crowd = await Promise.all(Array.from({ length: 50 }, () => client()))
    await Promise.all(
      crowd.map(async (c, i) => {
        c.send({ action: 'subscribe', roomName: 'crowd', userName: `user${String(i).padStart(2, '0')}` })
        await c.next('subscribed')
      }),
    )
    const rooms = (await t.repository().activeRooms()).filter((r) => r.roomName === 'crowd')
    expect(rooms).toHaveLength(1)
    crowd[7]?.send({ action: 'sendMessage', roomName: 'crowd', message: 'hello, crowd' })
    const received = await Promise.all(crowd.map((c) => c.next('newMessage')))
    for (const frame of received) {
      expect(frame).toMatchObject({
        roomName: 'crowd',
        message: { userName: 'user07', message: 'hello, crowd' },
      })
    }
    // Give any duplicate time to arrive behind the last one, then count.
    const probe = crowd[0] as TestClient
    probe.send({ action: 'listRooms' })
    await probe.next('roomList')
    for (const c of crowd) expect(c.frames.filter((f) => f.type === 'newMessage')).toHaveLength(1)
    await Promise.all(crowd.map((c) => c.close()))
  })

  it('answers a frame that is not JSON on $default with a 400', async () => {
    const c = await client()
    c.send('hello?')
    expect(await c.next('error')).toEqual({
      type: 'error',
      statusCode: 400,
      error: 'Bad Request',
      message: 'frame is not valid JSON',
    })
    await c.close()
  })

  it('serves GET, POST and DELETE on @connections, and 410 for unknown ids, to the real SDK client', async () => {
    const c = await client()
    const id = connectionIds().at(-1) as string
    expect(id).toMatch(/^[A-Za-z0-9+/]{15}=$/)
    const management = new ApiGatewayManagementApiClient({
      endpoint: gateway.managementEndpoint,
      region: 'local',
      maxAttempts: 1,
    })
    const info = await management.send(new GetConnectionCommand({ ConnectionId: id }))
    expect(info.ConnectedAt).toBeInstanceOf(Date)
    expect(info.Identity?.SourceIp).toBe('127.0.0.1')
    await management.send(
      new PostToConnectionCommand({
        ConnectionId: id,
        Data: Buffer.from('{"type":"unsubscribed","roomName":"posted"}'),
      }),
    )
    expect(await c.next('unsubscribed')).toEqual({ type: 'unsubscribed', roomName: 'posted' })
    await expect(
      management.send(
        new PostToConnectionCommand({ ConnectionId: 'Nope0000000000A=', Data: Buffer.from('{}') }),
      ),
    ).rejects.toMatchObject({ name: 'GoneException', $metadata: { httpStatusCode: 410 } })
    await management.send(new DeleteConnectionCommand({ ConnectionId: id }))
    await c.closed
    management.destroy()
  })

  it('logs one line per route invocation: route, connection id, status, time', () => {
    const routes = logLines.map((line) => line.split(' ')[0])
    expect(routes).toContain('$connect')
    expect(routes).toContain('subscribe')
    expect(routes).toContain('sendMessage')
    expect(routes).toContain('$default')
    expect(routes).toContain('$disconnect')
    for (const line of logLines) expect(line).toMatch(/^\S+ [A-Za-z0-9+/]{15}= (200|400|500) \d+ms$/)
  })

  it('runs $disconnect for every open connection when it closes', async () => {
    const local = await startGateway({ port: 0, documentClient: t.documentClient, tableName: t.tableName })
    const c = await connectClient(local.url)
    c.send({ action: 'subscribe', roomName: 'closing', userName: 'cal' })
    await c.next('subscribed')
    await local.close()
    await c.closed
    expect(await t.repository().connectionsInRoom('closing')).toEqual([])
  })
})

describe('gateway events', () => {
  it('select the route on the body action like API Gateway, else $default', () => {
    expect(selectRoute('{"action":"sendMessage"}')).toBe('sendMessage')
    expect(selectRoute('{"action":"shout"}')).toBe('$default')
    expect(selectRoute('["subscribe"]')).toBe('$default')
    expect(selectRoute('not json')).toBe('$default')
  })

  it('are shaped like the fixtures', async () => {
    const { readFile } = await import('node:fs/promises')
    const fixture = JSON.parse(
      await readFile(new URL('../../../../fixtures/events/sendMessage.json', import.meta.url), 'utf8'),
    )
    const event = buildEvent(
      { apiId: 'local', stage: 'local', domainName: '127.0.0.1:3001' },
      {
        connectionId: 'Xk3a9cD1oAMCJzQ=',
        connectedAt: 1,
        sourceIp: '127.0.0.1',
        userAgent: undefined,
        headers: {},
      },
      { routeKey: 'sendMessage', body: '{}' },
    )
    expect(Object.keys(event).sort()).toEqual(Object.keys(fixture).sort())
    expect(Object.keys(event.requestContext).sort()).toEqual(Object.keys(fixture.requestContext).sort())
    expect(requestTimeOf(Date.UTC(2026, 10, 5, 9, 4, 3))).toBe('05/Nov/2026:09:04:03 +0000')
  })
})
