import type { APIGatewayProxyWebsocketHandlerV2 } from 'aws-lambda'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { isChatDbError } from '../../../src/errors.js'
import { managementEndpointOf } from '../../../src/lambda/events.js'
import { captureOutput } from '../../support/capturedOutput.js'
import { type ConnectionsFake, startConnectionsFake } from '../../support/connectionsFake.js'
import { dynamoEndpoint, useTestTable } from '../../support/dynamo.js'
import { type HangingServer, startHangingServer } from '../../support/hangingServer.js'
import { scanAll } from '../../support/scan.js'
import { fixtureEvent, gatewayId } from '../../support/websocketEvents.js'

const t = useTestTable()
let fake: ConnectionsFake
const saved = { ...process.env }

beforeAll(async () => {
  fake = await startConnectionsFake()
  // Configured the way a deployed function is: only through the environment.
  process.env.CHATDB_TABLE = t.tableName
  process.env.CHATDB_MANAGEMENT_ENDPOINT = fake.endpoint
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamoEndpoint()
})
afterAll(async () => {
  process.env = saved
  await fake.close()
})

describe('chatdb/lambda', () => {
  it('serves every route from the environment configuration', async () => {
    const lambda = await import('../../../src/lambda/index.js')
    // Each export is a Lambda handler as @types/aws-lambda types WebSocket routes (checked by tsc).
    const typed: APIGatewayProxyWebsocketHandlerV2[] = [
      lambda.handler,
      lambda.connect,
      lambda.disconnect,
      lambda.defaultRoute,
      lambda.subscribe,
      lambda.unsubscribe,
      lambda.sendMessage,
      lambda.listRooms,
    ]
    expect(typed.every((fn) => typeof fn === 'function')).toBe(true)
    const ada = gatewayId()
    const bob = gatewayId()
    const ev = (name: Parameters<typeof fixtureEvent>[0], connectionId: string, body?: unknown) =>
      fixtureEvent(name, { connectionId, body })
    expect(await lambda.handler(ev('connect', ada))).toEqual({ statusCode: 200 })
    expect(await lambda.subscribe(ev('subscribe', ada))).toEqual({ statusCode: 200 })
    expect(
      await lambda.handler(
        ev('subscribe', bob, { action: 'subscribe', roomName: 'general', userName: 'bob' }),
      ),
    ).toEqual({ statusCode: 200 })
    expect(await lambda.sendMessage(ev('sendMessage', bob))).toEqual({ statusCode: 200 })
    expect(await lambda.listRooms(ev('listRooms', ada))).toEqual({ statusCode: 200 })
    expect(await lambda.defaultRoute(ev('default', ada))).toEqual({ statusCode: 400 })
    expect(await lambda.unsubscribe(ev('unsubscribe', bob))).toEqual({ statusCode: 200 })
    expect(await lambda.disconnect(ev('disconnect', ada))).toEqual({ statusCode: 200 })
    expect(await lambda.connect(ev('connect', bob))).toEqual({ statusCode: 200 })

    expect(fake.framesFor(ada).map((f) => f.type)).toEqual([
      'subscribed',
      'userSubscribed',
      'newMessage',
      'roomList',
      'error',
      'userUnsubscribed',
    ])
    expect(fake.framesFor(ada)[2]).toMatchObject({
      message: { userName: 'bob', message: 'Hello, everyone!' },
    })
    expect(fake.framesFor(ada)[3]).toEqual({
      type: 'roomList',
      rooms: [{ roomName: 'general', createdAt: expect.any(Number) }],
    })
    expect(fake.framesFor(bob).map((f) => f.type)).toEqual(['subscribed', 'newMessage', 'unsubscribed'])
    expect(await t.repository().connectionsInRoom('general')).toEqual([])
    expect((await t.repository().recentMessages('general')).map((m) => m.message)).toEqual([
      'Hello, everyone!',
    ])
  })

  it('builds the management endpoint from the event when none is configured', () => {
    const event = fixtureEvent('sendMessage', { connectionId: 'Xk3a9cD1oAMCJzQ=' })
    expect(managementEndpointOf(event, 'eu-west-1')).toBe(
      'https://abc123def4.execute-api.eu-west-1.amazonaws.com/prod',
    )
    const noRegion = (() => {
      try {
        return managementEndpointOf(event, undefined)
      } catch (error) {
        return error
      }
    })()
    expect(isChatDbError(noRegion, 'connections.config')).toBe(true)
  })

  it('answers what is not an API Gateway WebSocket event with a 400, never a throw', async () => {
    const lambda = await import('../../../src/lambda/index.js')
    const output = captureOutput()
    try {
      for (const event of [null, undefined, {}, { requestContext: {} }, { requestContext: null }, 'text']) {
        const bad = event as never
        // Each call must return a promise (a synchronous throw would escape `resolves`).
        await expect(lambda.handler(bad)).resolves.toEqual({ statusCode: 400 })
        for (const route of [lambda.connect, lambda.disconnect, lambda.defaultRoute, lambda.listRooms]) {
          await expect(route(bad)).resolves.toEqual({ statusCode: 400 })
        }
      }
      expect(output.logs().map((line) => line.message)).toContain('route.badEvent')
    } finally {
      output.restore()
    }
  })
})

describe('chatdb/lambda, configured from the environment for failures', () => {
  let hanging: HangingServer
  beforeAll(async () => {
    hanging = await startHangingServer()
  })
  afterAll(async () => {
    process.env = { ...saved }
    await hanging.close()
  })

  /** A fresh copy of the module, so its router is built from the environment as it is now. */
  async function freshLambda(env: Record<string, string>) {
    Object.assign(process.env, env)
    vi.resetModules()
    return import('../../../src/lambda/index.js')
  }

  it('gives up on a hung DynamoDB after CHATDB_DYNAMODB_TIMEOUT_MS × CHATDB_DYNAMODB_MAX_ATTEMPTS', {
    timeout: 15_000,
  }, async () => {
    const lambda = await freshLambda({
      AWS_ENDPOINT_URL_DYNAMODB: hanging.endpoint,
      CHATDB_DYNAMODB_TIMEOUT_MS: '150',
      CHATDB_DYNAMODB_MAX_ATTEMPTS: '2',
    })
    const output = captureOutput()
    try {
      const ada = gatewayId()
      const before = hanging.requests()
      expect(await lambda.listRooms(fixtureEvent('listRooms', { connectionId: ada }))).toEqual({
        statusCode: 500,
      })
      expect(hanging.requests() - before).toBe(2)
      expect(fake.framesFor(ada)).toEqual([
        expect.objectContaining({ type: 'error', action: 'listRooms', statusCode: 500 }),
      ])
    } finally {
      output.restore()
      process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamoEndpoint()
    }
  })

  it('gives up on a hung @connections API after CHATDB_MANAGEMENT_TIMEOUT_MS × CHATDB_MANAGEMENT_MAX_ATTEMPTS', {
    timeout: 15_000,
  }, async () => {
    const lambda = await freshLambda({
      CHATDB_MANAGEMENT_ENDPOINT: hanging.endpoint,
      CHATDB_MANAGEMENT_TIMEOUT_MS: '150',
      CHATDB_MANAGEMENT_MAX_ATTEMPTS: '2',
    })
    const output = captureOutput()
    try {
      const before = hanging.requests()
      expect(await lambda.listRooms(fixtureEvent('listRooms', { connectionId: gatewayId() }))).toEqual({
        statusCode: 200,
      })
      expect(hanging.requests() - before).toBe(2)
      expect(output.logs()[0]).toMatchObject({
        level: 'ERROR',
        message: 'post.failed',
        error: { name: 'TimeoutError' },
      })
    } finally {
      output.restore()
      process.env.CHATDB_MANAGEMENT_ENDPOINT = fake.endpoint
    }
  })

  describe('posts in flight', () => {
    const roomName = 'env-crowd'
    let sender: string
    beforeAll(async () => {
      const ids = Array.from({ length: 30 }, () => gatewayId())
      sender = ids[0] as string
      const repository = t.repository()
      await Promise.all(
        ids.map((connectionId, i) => repository.subscribe({ roomName, connectionId, userName: `u${i}` })),
      )
    })

    /** Holds the posts of one sendMessage and answers them a few at a time: the most in flight at once. */
    async function expectInFlight(env: Record<string, string>, expected: number) {
      // Generous: a post stays held at the fake while the test answers the others.
      const settings = { CHATDB_MANAGEMENT_TIMEOUT_MS: '30000', CHATDB_MANAGEMENT_MAX_ATTEMPTS: '1', ...env }
      const lambda = await freshLambda(settings)
      fake.clear()
      fake.hold()
      try {
        const answered = lambda.sendMessage(
          fixtureEvent('sendMessage', {
            connectionId: sender,
            body: { action: 'sendMessage', roomName, message: 'configured' },
          }),
        )
        await vi.waitFor(() => expect(fake.posts()).toBe(expected), { timeout: 5_000 })
        while (fake.posts() < 30) {
          const before = fake.posts()
          const step = Math.min(3, 30 - before)
          fake.release(step)
          await vi.waitFor(() => expect(fake.posts()).toBe(before + step), { timeout: 5_000 })
          expect(fake.inFlight()).toBe(expected)
        }
        fake.unhold()
        expect(await answered).toEqual({ statusCode: 200 })
        expect(fake.maxInFlight()).toBe(expected)
      } finally {
        fake.unhold()
        for (const name of Object.keys(settings)) process.env[name] = ''
      }
    }

    it('posts CHATDB_BROADCAST_CONCURRENCY at a time, over as many sockets', async () => {
      await expectInFlight({ CHATDB_BROADCAST_CONCURRENCY: '6' }, 6)
    })

    it('posts no more at a time than CHATDB_MANAGEMENT_MAX_SOCKETS sockets carry', async () => {
      await expectInFlight({ CHATDB_MANAGEMENT_MAX_SOCKETS: '4' }, 4)
    })

    it('refuses counts that are not positive whole numbers, naming the variable', async () => {
      for (const name of ['CHATDB_BROADCAST_CONCURRENCY', 'CHATDB_MANAGEMENT_MAX_SOCKETS']) {
        for (const value of ['0', '-3', '2.5', 'many']) {
          const lambda = await freshLambda({ [name]: value })
          const output = captureOutput()
          try {
            const event = fixtureEvent('listRooms', { connectionId: gatewayId() })
            await expect(lambda.handler(event)).resolves.toEqual({ statusCode: 500 })
            expect(output.logs()[0], `${name}=${value}`).toMatchObject({
              message: 'config.invalid',
              error: { code: 'validation.option', message: expect.stringContaining(name) },
            })
          } finally {
            output.restore()
            process.env[name] = ''
          }
        }
      }
    })
  })

  it('answers 500 on every invocation when a variable is invalid, never a throw', async () => {
    const lambda = await freshLambda({ CHATDB_DYNAMODB_TIMEOUT_MS: 'soon' })
    const output = captureOutput()
    try {
      const event = fixtureEvent('listRooms', { connectionId: gatewayId() })
      await expect(lambda.handler(event)).resolves.toEqual({ statusCode: 500 })
      await expect(lambda.listRooms(event)).resolves.toEqual({ statusCode: 500 })
      expect(output.logs()[0]).toMatchObject({
        level: 'ERROR',
        message: 'config.invalid',
        error: { code: 'validation.option', message: expect.stringContaining('CHATDB_DYNAMODB_TIMEOUT_MS') },
      })
    } finally {
      output.restore()
      process.env.CHATDB_DYNAMODB_TIMEOUT_MS = ''
    }
  })

  it('spreads a name over CHATDB_USER_HISTORY_SHARDS history keys, and refuses a bad count', async () => {
    const lambda = await freshLambda({ CHATDB_USER_HISTORY_SHARDS: '4' })
    try {
      const guest = gatewayId()
      const subscribe = { action: 'subscribe', roomName: 'shards', userName: 'shard-guest' }
      expect(
        await lambda.handler(fixtureEvent('subscribe', { connectionId: guest, body: subscribe })),
      ).toEqual({
        statusCode: 200,
      })
      for (let i = 0; i < 40; i++) {
        const body = { action: 'sendMessage', roomName: 'shards', message: `hello ${i}` }
        expect(await lambda.handler(fixtureEvent('sendMessage', { connectionId: guest, body }))).toEqual({
          statusCode: 200,
        })
      }
      const keys = new Set(
        (await scanAll(t.documentClient, t.tableName))
          .filter((item) => item._et === 'Message' && String(item.data).startsWith('shard-guest'))
          .map((item) => item.data),
      )
      expect([...keys].sort()).toEqual(['shard-guest', 'shard-guest|1', 'shard-guest|2', 'shard-guest|3'])
      const history = await t.repository({ userHistoryShards: 4 }).historyOfUser('shard-guest')
      expect(history.flatMap((g) => g.messages)).toHaveLength(40)
    } finally {
      process.env.CHATDB_USER_HISTORY_SHARDS = ''
    }
    const refused = await freshLambda({ CHATDB_USER_HISTORY_SHARDS: '0' })
    const output = captureOutput()
    try {
      const event = fixtureEvent('listRooms', { connectionId: gatewayId() })
      await expect(refused.handler(event)).resolves.toEqual({ statusCode: 500 })
      expect(output.logs()[0]).toMatchObject({
        message: 'config.invalid',
        error: { code: 'validation.option', message: expect.stringContaining('CHATDB_USER_HISTORY_SHARDS') },
      })
    } finally {
      output.restore()
      process.env.CHATDB_USER_HISTORY_SHARDS = ''
    }
  })

  it('reads every variable by its setting (src/config/settings.ts): one wording, the variable named', async () => {
    for (const [name, value, rule] of [
      ['CHATDB_RECENT_MESSAGES', '2.5', 'a whole number ≥ 1'],
      ['CHATDB_MESSAGE_RETENTION_DAYS', 'Infinity', 'a positive number'],
      ['CHATDB_DISCONNECT_COALESCE_FROM', '2.5', 'a whole number ≥ 1, or off'],
      ['CHATDB_DISCONNECT_WINDOW_MS', '-1', 'a number ≥ 0'],
      ['CHATDB_MANAGEMENT_ENDPOINT', 'connections.local', 'an http(s) URL'],
      ['CHATDB_USER_HISTORY_READ_SHARDS', '65', 'a whole number 1–64'],
    ] as const) {
      const lambda = await freshLambda({ [name]: value })
      const output = captureOutput()
      try {
        const event = fixtureEvent('listRooms', { connectionId: gatewayId() })
        await expect(lambda.handler(event), `${name}=${value}`).resolves.toEqual({ statusCode: 500 })
        expect(output.logs()[0], `${name}=${value}`).toMatchObject({
          message: 'config.invalid',
          error: { code: 'validation.option', message: `${name} must be ${rule} (got "${value}")` },
        })
      } finally {
        output.restore()
        process.env[name] = ''
        process.env.CHATDB_MANAGEMENT_ENDPOINT = fake.endpoint
      }
    }
    // `off` turns coalescing off, as it turns large rooms off.
    const lambda = await freshLambda({ CHATDB_DISCONNECT_COALESCE_FROM: 'off' })
    try {
      const event = fixtureEvent('listRooms', { connectionId: gatewayId() })
      await expect(lambda.handler(event)).resolves.toEqual({ statusCode: 200 })
    } finally {
      process.env.CHATDB_DISCONNECT_COALESCE_FROM = ''
    }
  })

  it('refuses bad large-room and fan-out queue variables the same way, naming the variable', async () => {
    for (const [name, value] of [
      ['CHATDB_LARGE_ROOM_THRESHOLD', 'abc'],
      ['CHATDB_LARGE_ROOM_THRESHOLD', '1'],
      ['CHATDB_LARGE_ROOM_THRESHOLD', '2.5'],
      ['CHATDB_LARGE_ROOM_SHARDS', '0'],
      ['CHATDB_LARGE_ROOM_SHARDS', 'many'],
      ['CHATDB_FANOUT_QUEUE_URL', 'chat-fanout'],
      ['CHATDB_QUEUE_TIMEOUT_MS', 'soon'],
      ['CHATDB_QUEUE_MAX_ATTEMPTS', '0'],
    ] as const) {
      const lambda = await freshLambda({
        CHATDB_FANOUT_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/chat-fanout',
        [name]: value,
      })
      const output = captureOutput()
      try {
        const event = fixtureEvent('listRooms', { connectionId: gatewayId() })
        await expect(lambda.handler(event), `${name}=${value}`).resolves.toEqual({ statusCode: 500 })
        expect(output.logs()[0], `${name}=${value}`).toMatchObject({
          message: 'config.invalid',
          error: { code: 'validation.option', message: expect.stringContaining(name) },
        })
      } finally {
        output.restore()
        process.env[name] = ''
        process.env.CHATDB_FANOUT_QUEUE_URL = ''
      }
    }
  })

  it('serves the routes with large rooms configured and a fan-out queue named, touching no queue for a small room', async () => {
    // A queue URL nobody answers: a small room's routes never load or call the SQS adapter.
    const lambda = await freshLambda({
      CHATDB_LARGE_ROOM_THRESHOLD: '5',
      CHATDB_LARGE_ROOM_SHARDS: '8',
      CHATDB_FANOUT_QUEUE_URL: 'http://127.0.0.1:9/000000000000/nowhere',
    })
    try {
      const ada = gatewayId()
      const subscribe = { action: 'subscribe', roomName: 'small-with-queue', userName: 'ada' }
      const send = { action: 'sendMessage', roomName: 'small-with-queue', message: 'hello' }
      expect(await lambda.handler(fixtureEvent('subscribe', { connectionId: ada, body: subscribe }))).toEqual(
        {
          statusCode: 200,
        },
      )
      expect(await lambda.handler(fixtureEvent('sendMessage', { connectionId: ada, body: send }))).toEqual({
        statusCode: 200,
      })
      expect(fake.framesFor(ada).map((f) => f.type)).toEqual(['subscribed', 'newMessage'])
    } finally {
      for (const name of [
        'CHATDB_LARGE_ROOM_THRESHOLD',
        'CHATDB_LARGE_ROOM_SHARDS',
        'CHATDB_FANOUT_QUEUE_URL',
      ])
        process.env[name] = ''
    }
  })

  it('refuses a listing shard count that is not a whole number from 1 to 64 the same way', async () => {
    const lambda = await freshLambda({ CHATDB_ROOM_LISTING_SHARDS: '0' })
    const output = captureOutput()
    try {
      const event = fixtureEvent('listRooms', { connectionId: gatewayId() })
      await expect(lambda.listRooms(event)).resolves.toEqual({ statusCode: 500 })
      expect(output.logs()[0]).toMatchObject({
        message: 'config.invalid',
        error: { code: 'validation.option', message: expect.stringContaining('CHATDB_ROOM_LISTING_SHARDS') },
      })
    } finally {
      output.restore()
      process.env.CHATDB_ROOM_LISTING_SHARDS = ''
    }
  })
})
