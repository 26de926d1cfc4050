import { Metrics } from '@aws-lambda-powertools/metrics'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createRouter } from '../../../src/lambda/createRouter.js'
import { createLambdaLogger } from '../../../src/lambda/lambdaLogger.js'
import { createRouteMetrics } from '../../../src/lambda/routeMetrics.js'
import { captureOutput } from '../../support/capturedOutput.js'
import { useTestTable } from '../../support/dynamo.js'
import { useRouter } from '../../support/routerHarness.js'
import { fixtureEvent, gatewayId } from '../../support/websocketEvents.js'

const t = useTestTable()
const h = useRouter(t, {
  logger: createLambdaLogger(),
  metrics: createRouteMetrics(new Metrics({ namespace: 'chatdbTest', serviceName: 'chat' })),
})

/** The values of an EMF record's metrics, by name. */
function metricValues(record: Record<string, unknown>) {
  const aws = record._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }
  return Object.fromEntries(
    (aws.CloudWatchMetrics[0]?.Metrics ?? []).map(({ Name }) => [Name, record[Name]]),
  ) as Record<string, number>
}

describe('createRouter on Powertools', () => {
  let output: ReturnType<typeof captureOutput> | undefined
  afterEach(() => output?.restore())

  /** A fresh room of four: bob's posts fail (500), cy is gone (410). */
  async function roomWithTroubles(roomName: string) {
    const [ada, bob, cy, dan] = [h.newConnection(), h.newConnection(), h.newConnection(), h.newConnection()]
    for (const [id, userName] of [
      [ada, 'ada'],
      [bob, 'bob'],
      [cy, 'cy'],
      [dan, 'dan'],
    ] as const) {
      // Their metrics records are not what the tests read: kept off the test run's output.
      const setUp = captureOutput()
      try {
        expect(await h.send(id, { action: 'subscribe', roomName, userName })).toBe(200)
      } finally {
        setUp.restore()
      }
    }
    h.fake.markFailing(bob)
    h.fake.markGone(cy)
    t.counter.reset()
    return { ada, bob, cy, dan, roomName }
  }

  it('puts the route, connection id and request id on every line an invocation logs', async () => {
    const { ada, bob, roomName } = await roomWithTroubles('observed-logs')
    output = captureOutput()
    // The same request twice (API Gateway's retry): the service warns, the broadcaster errs.
    const request = { requestId: 'Req-observed-1', requestTimeEpoch: Date.UTC(2026, 10, 2) }
    for (let attempt = 0; attempt < 2; attempt++) {
      expect(await h.send(ada, { action: 'sendMessage', roomName, message: 'hi' }, request)).toBe(200)
    }
    output.restore()
    const logs = output.logs()
    expect(logs.map((line) => line.message)).toEqual(['post.failed', 'message.repeated', 'post.failed'])
    for (const line of logs) {
      expect(line).toMatchObject({
        route: 'sendMessage',
        connectionId: ada,
        requestId: request.requestId,
        service: expect.any(String),
        timestamp: expect.any(String),
      })
    }
    expect(logs[1]).toMatchObject({ level: 'WARN' })
    // The connection the line is about, when it is not the caller's.
    expect(logs[0]).toMatchObject({
      level: 'ERROR',
      targetConnectionId: bob,
      frame: 'newMessage',
      error: expect.objectContaining({ name: expect.any(String) }),
    })
  })

  it('publishes one EMF record per invocation: count, latency, posts and DynamoDB requests', async () => {
    const { ada, roomName } = await roomWithTroubles('observed-metrics')
    output = captureOutput()
    expect(await h.send(ada, { action: 'sendMessage', roomName, message: 'hello' })).toBe(200)
    output.restore()
    const records = output.metrics()
    expect(records).toHaveLength(1)
    const record = records[0] as Record<string, unknown>
    expect(record).toMatchObject({
      stream: 'stdout',
      service: 'chat',
      route: 'sendMessage',
      _aws: {
        CloudWatchMetrics: [{ Namespace: 'chatdbTest', Dimensions: [['service', 'route']] }],
      },
    })
    const values = metricValues(record)
    expect(values).toMatchObject({
      requests: 1,
      serverErrors: 0,
      // ada and dan got it; cy is gone (and cleaned up); bob's API answers 500.
      postsDelivered: 2,
      postsGone: 1,
      postsFailed: 1,
    })
    // Every request of the invocation, the gone connection's clean-up included.
    expect(values.dynamoDbRequests).toBe(t.counter.total())
    expect(values.dynamoDbRequests).toBeGreaterThanOrEqual(2)
    expect(values.latency).toBeGreaterThan(0)
  })

  it('counts a route that fails as a server error', async () => {
    output = captureOutput()
    // No region and no endpoint: the management endpoint cannot be built, the route answers 500.
    const router = createRouter({
      documentClient: t.documentClient,
      tableName: t.tableName,
      region: '',
      logger: createLambdaLogger(),
      metrics: createRouteMetrics(new Metrics({ namespace: 'chatdbTest' })),
    })
    const ada = gatewayId()
    const requestId = 'Req-failing-1'
    // Lambda's context, as the runtime passes it: its request id joins the line to START / REPORT.
    const context = { awsRequestId: 'aws-req-failing-1' }
    expect(
      await router.handler(fixtureEvent('listRooms', { connectionId: ada, requestId }), context),
    ).toEqual({
      statusCode: 500,
    })
    router.close()
    output.restore()
    expect(output.logs()).toEqual([
      expect.objectContaining({
        message: 'route.failed',
        route: 'listRooms',
        connectionId: ada,
        requestId,
        function_request_id: context.awsRequestId,
      }),
    ])
    expect(metricValues(output.metrics()[0] as Record<string, unknown>)).toMatchObject({
      requests: 1,
      serverErrors: 1,
      dynamoDbRequests: 0,
    })
  })
})

describe('createRouter metrics from the environment', () => {
  const saved = { ...process.env }
  let output: ReturnType<typeof captureOutput>
  beforeEach(() => {
    output = captureOutput()
  })
  afterEach(() => {
    output.restore()
    process.env = { ...saved }
  })

  async function listRooms(env: Record<string, string>) {
    delete process.env.POWERTOOLS_METRICS_NAMESPACE
    delete process.env.POWERTOOLS_METRICS_DISABLED
    delete process.env.POWERTOOLS_DEV
    Object.assign(process.env, env)
    const router = createRouter({
      documentClient: t.documentClient,
      tableName: t.tableName,
      managementEndpoint: h.fake.endpoint,
      region: 'local',
    })
    try {
      expect(await router.handler(fixtureEvent('listRooms', { connectionId: gatewayId() }))).toEqual({
        statusCode: 200,
      })
    } finally {
      router.close()
    }
    output.restore()
    return output.lines
  }

  it('writes nothing to stdout without POWERTOOLS_METRICS_NAMESPACE', async () => {
    expect(await listRooms({})).toEqual([])
  })

  it('publishes under POWERTOOLS_METRICS_NAMESPACE with POWERTOOLS_SERVICE_NAME as the service', async () => {
    const lines = await listRooms({
      POWERTOOLS_METRICS_NAMESPACE: 'chatdbEnv',
      POWERTOOLS_SERVICE_NAME: 'chat-prod',
    })
    expect(lines).toEqual([
      expect.objectContaining({
        service: 'chat-prod',
        route: 'listRooms',
        requests: 1,
        dynamoDbRequests: 1,
        _aws: expect.objectContaining({
          CloudWatchMetrics: [expect.objectContaining({ Namespace: 'chatdbEnv' })],
        }),
      }),
    ])
  })

  it('stays silent when POWERTOOLS_METRICS_DISABLED is true, namespace or not', async () => {
    expect(
      await listRooms({ POWERTOOLS_METRICS_NAMESPACE: 'chatdbEnv', POWERTOOLS_METRICS_DISABLED: 'true' }),
    ).toEqual([])
  })
})
