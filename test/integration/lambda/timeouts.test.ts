import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createConnectionProbe } from '../../../src/admin/connectionProbe.js'
import { createDocumentClient } from '../../../src/client.js'
import { createRouter, type Router } from '../../../src/lambda/createRouter.js'
import { type ConnectionsFake, startConnectionsFake } from '../../support/connectionsFake.js'
import { useTestTable } from '../../support/dynamo.js'
import { type HangingServer, startHangingServer } from '../../support/hangingServer.js'
import { fixtureEvent, gatewayId } from '../../support/websocketEvents.js'

// Short configured budgets keep every case bounded: a route that hangs fails by the vitest
// timeout below instead of finishing, and nothing here reads the clock.
const TIMEOUT_MS = 150
const ATTEMPTS = 2
const bounded = { timeout: 15_000 }

const t = useTestTable()
let hanging: HangingServer
let fake: ConnectionsFake
const routers: Router[] = []
let logs: { event: string; [key: string]: unknown }[] = []

beforeAll(async () => {
  hanging = await startHangingServer()
  fake = await startConnectionsFake()
})
afterAll(async () => {
  for (const router of routers) router.close()
  await hanging.close()
  await fake.close()
})

function routerWith(options: { dynamoHangs?: boolean; managementHangs?: boolean }): Router {
  const documentClient = options.dynamoHangs
    ? createDocumentClient({
        endpoint: hanging.endpoint,
        region: 'local',
        requestTimeoutMs: TIMEOUT_MS,
        maxAttempts: ATTEMPTS,
      })
    : t.documentClient
  const router = createRouter({
    documentClient,
    tableName: t.tableName,
    managementEndpoint: options.managementHangs ? hanging.endpoint : fake.endpoint,
    region: 'local',
    managementCredentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    managementTimeoutMs: TIMEOUT_MS,
    managementMaxAttempts: ATTEMPTS,
    logger: {
      error: (event, details) => logs.push({ event, ...details }),
      warn: (event, details) => logs.push({ event, ...details }),
    },
  })
  routers.push(router)
  return router
}

const invoke = (
  router: Router,
  name: Parameters<typeof fixtureEvent>[0],
  connectionId: string,
  body?: unknown,
) => router.handler(fixtureEvent(name, { connectionId, body }))

describe('createRouter with a DynamoDB endpoint that accepts and never answers', () => {
  const unavailableFrame = (action: string) => ({
    type: 'error',
    action,
    statusCode: 500,
    error: 'Internal Server Error',
    message: expect.stringContaining('store.unavailable'),
  })

  it('answers listRooms with a 500 error frame after the configured attempts', bounded, async () => {
    const router = routerWith({ dynamoHangs: true })
    const ada = gatewayId()
    const before = hanging.requests()
    logs = []
    expect(await invoke(router, 'listRooms', ada)).toEqual({ statusCode: 500 })
    expect(fake.framesFor(ada)).toEqual([unavailableFrame('listRooms')])
    expect(hanging.requests() - before).toBe(ATTEMPTS)
    expect(logs).toEqual([
      expect.objectContaining({
        event: 'route.failed',
        route: 'listRooms',
        error: expect.objectContaining({ code: 'store.unavailable' }),
      }),
    ])
  })

  it('answers subscribe with a 500 error frame', bounded, async () => {
    const router = routerWith({ dynamoHangs: true })
    const ada = gatewayId()
    expect(await invoke(router, 'subscribe', ada)).toEqual({ statusCode: 500 })
    expect(fake.framesFor(ada)).toEqual([unavailableFrame('subscribe')])
  })

  it('answers $disconnect 500 (the caller is gone: no frame)', bounded, async () => {
    const router = routerWith({ dynamoHangs: true })
    const ada = gatewayId()
    logs = []
    expect(await invoke(router, 'disconnect', ada)).toEqual({ statusCode: 500 })
    expect(fake.framesFor(ada)).toEqual([])
    expect(logs).toEqual([
      expect.objectContaining({
        event: 'route.failed',
        route: '$disconnect',
        error: expect.objectContaining({ code: 'store.unavailable' }),
      }),
    ])
  })
})

describe('createRouter with an @connections endpoint that accepts and never answers', () => {
  it('finishes listRooms after the configured attempts and logs the failed post', bounded, async () => {
    const router = routerWith({ managementHangs: true })
    const ada = gatewayId()
    const before = hanging.requests()
    logs = []
    // The work is done (a read); only the answer could not be delivered, and that is logged.
    expect(await invoke(router, 'listRooms', ada)).toEqual({ statusCode: 200 })
    expect(hanging.requests() - before).toBe(ATTEMPTS)
    expect(logs).toEqual([
      expect.objectContaining({
        event: 'post.failed',
        connectionId: ada,
        frame: 'roomList',
        error: expect.objectContaining({ name: 'TimeoutError' }),
      }),
    ])
  })

  it('stores the subscription of a subscribe whose answer cannot be posted', bounded, async () => {
    const router = routerWith({ managementHangs: true })
    const ada = gatewayId()
    expect(
      await invoke(router, 'subscribe', ada, { action: 'subscribe', roomName: 'hung-api', userName: 'ada' }),
    ).toEqual({ statusCode: 200 })
    expect((await t.repository().connectionsInRoom('hung-api')).map((s) => s.connectionId)).toEqual([ada])
  })

  it('finishes when both hang: 500, the error frame attempted and logged', bounded, async () => {
    const router = routerWith({ dynamoHangs: true, managementHangs: true })
    const ada = gatewayId()
    const before = hanging.requests()
    logs = []
    expect(await invoke(router, 'listRooms', ada)).toEqual({ statusCode: 500 })
    // ATTEMPTS for the query, ATTEMPTS for the error frame's post.
    expect(hanging.requests() - before).toBe(2 * ATTEMPTS)
    expect(logs.map((l) => l.event)).toEqual(['route.failed', 'post.failed'])
  })
})

describe('createConnectionProbe with an @connections endpoint that accepts and never answers', () => {
  it('reports the endpoint unreachable after its attempts instead of hanging', bounded, async () => {
    const { probe, close } = createConnectionProbe({
      endpoint: hanging.endpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      timeoutMs: TIMEOUT_MS,
    })
    try {
      const before = hanging.requests()
      // Unreachable, not a per-connection error: cleanup stale stops at once (one line, exit 1).
      expect(await probe(gatewayId())).toEqual({
        status: 'unreachable',
        error: expect.stringMatching(/^TimeoutError/),
      })
      expect(hanging.requests() - before).toBe(2)
    } finally {
      close()
    }
  })
})
