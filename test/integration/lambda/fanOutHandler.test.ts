import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FanOutJob, RetryJob } from '../../../src/fanout/jobs.js'
import { BASE_SUBSCRIPTION_SHARD } from '../../../src/keys.js'
import { fanOutHandlerFromEnvironment } from '../../../src/lambda/fanOutEnvironment.js'
import { createFanOutHandler, type FanOutHandlerOptions } from '../../../src/lambda/fanOutHandler.js'
import { createFanOutMetrics, type PowertoolsMetricsSink } from '../../../src/lambda/routeMetrics.js'
import type { ServerFrame } from '../../../src/protocol/frames.js'
import { createMemoryQueue } from '../../../src/queue/memoryQueue.js'
import { toSqsRecord } from '../../../src/queue/queuePoller.js'
import type { SqsEvent } from '../../../src/queue/sqsEvents.js'
import type { ServiceLogger } from '../../../src/service/types.js'
import { type ConnectionsFake, startConnectionsFake } from '../../support/connectionsFake.js'
import { useTestTable } from '../../support/dynamo.js'
import { writeShardSubscriptions } from '../../support/shardedSubscriptions.js'

const t = useTestTable()
const silent: ServiceLogger = { error: () => {}, warn: () => {} }
const frame: ServerFrame = {
  type: 'newMessage',
  roomName: 'huge',
  message: { id: 'm1', userName: 'ada', message: 'hello, everyone', time: 1 },
}
const idsOf = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}=`)
const received = (fake: ConnectionsFake, id: string) =>
  fake.framesFor(id).filter((f) => f.type === 'newMessage' && f.message.id === 'm1').length

let records = 0
/** An SQS event of these jobs, tagged by their targets, as the event source mapping delivers it. */
function eventOf(...jobs: Partial<FanOutJob>[]): SqsEvent {
  return {
    Records: jobs.map((job) =>
      toSqsRecord(
        {
          messageId: `msg-${++records}`,
          receiptHandle: `rh-${records}`,
          body: JSON.stringify({
            v: 1,
            kind: 'shard' in job ? 'shard' : 'retry',
            roomName: 'huge',
            frame,
            attempt: 0,
            ...job,
          }),
          receiveCount: 1,
          sentAt: 1,
        },
        'arn:aws:sqs:eu-west-1:123456789012:fanout',
        'eu-west-1',
      ),
    ),
  }
}

let fake: ConnectionsFake
let other: ConnectionsFake
const shard3 = idsOf('s3', 300)
const base = idsOf('base', 20)
beforeAll(async () => {
  fake = await startConnectionsFake()
  other = await startConnectionsFake()
  await writeShardSubscriptions(t.documentClient, t.tableName, {
    roomName: 'huge',
    shard: 3,
    connectionIds: shard3,
  })
  await writeShardSubscriptions(t.documentClient, t.tableName, {
    roomName: 'huge',
    shard: BASE_SUBSCRIPTION_SHARD,
    connectionIds: base,
  })
})
afterAll(async () => {
  await fake?.close()
  await other?.close()
})

function handlerWith(options: Partial<FanOutHandlerOptions> = {}) {
  const queue = createMemoryQueue({ name: 'fanout' })
  const worker = createFanOutHandler({
    documentClient: t.documentClient,
    tableName: t.tableName,
    queue,
    managementEndpoint: fake.endpoint,
    region: 'eu-west-1',
    managementCredentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    logger: silent,
    metrics: false,
    retryBackoffMs: 1,
    ...options,
  })
  return { worker, queue }
}

describe('createFanOutHandler', () => {
  describe('handler', () => {
    it('delivers a job to every subscription of its shard partition, with one Query', async () => {
      const { worker, queue } = handlerWith({ managementEndpoint: fake.endpoint })
      fake.clear()
      t.counter.reset()
      expect(await worker.handler(eventOf({ shard: 3 }))).toEqual({ batchItemFailures: [] })
      for (const id of shard3) expect(received(fake, id), id).toBe(1)
      expect(fake.recipients().sort()).toEqual([...shard3].sort())
      expect(t.counter.counts()).toEqual({ Query: 1 })
      expect(queue.stats()).toEqual({ visible: 0, inFlight: 0 })
      worker.close()
    })

    it('delivers the base partition as shard -1', async () => {
      const { worker } = handlerWith({ managementEndpoint: fake.endpoint })
      fake.clear()
      expect(await worker.handler(eventOf({ shard: BASE_SUBSCRIPTION_SHARD }))).toEqual({
        batchItemFailures: [],
      })
      expect(fake.recipients().sort()).toEqual([...base].sort())
      worker.close()
    })

    it('posts a job naming its own endpoint, however spelled, or none to managementEndpoint', async () => {
      const { worker } = handlerWith({ managementEndpoint: fake.endpoint })
      fake.clear()
      const sameEndpoint = `${fake.endpoint.replace('http://', 'HTTP://')}/`
      const answer = await worker.handler(
        eventOf({ connectionIds: ['a=', 'b='], endpoint: sameEndpoint }, { connectionIds: ['c='] }),
      )
      expect(answer).toEqual({ batchItemFailures: [] })
      expect(fake.recipients().sort()).toEqual(['a=', 'b=', 'c='])
      worker.close()
    })

    it('refuses a job naming another endpoint: its record fails, logged and counted, and nothing reaches that endpoint', async () => {
      const lines: { event: string; details: Record<string, unknown> }[] = []
      const metrics: string[] = []
      const sink: PowertoolsMetricsSink = {
        addDimension: (name, value) => metrics.push(`${name}=${value}`),
        addMetric: (name, _unit, value) => metrics.push(`${name}:${value}`),
        publishStoredMetrics: () => metrics.push('published'),
      }
      const { worker } = handlerWith({
        managementEndpoint: fake.endpoint,
        logger: { error: (event, details) => lines.push({ event, details }), warn: () => {} },
        metrics: createFanOutMetrics(sink),
      })
      fake.clear()
      const connectionsBefore = other.connections()
      const elsewhere = [other.endpoint, `${other.endpoint}/internal/admin`, `${fake.endpoint}/other-stage`]
      const event = eventOf(...elsewhere.map((endpoint) => ({ connectionIds: ['x='], endpoint })), {
        connectionIds: ['ok='],
        endpoint: fake.endpoint,
      })
      expect(await worker.handler(event)).toEqual({
        batchItemFailures: event.Records.slice(0, 3).map(({ messageId }) => ({ itemIdentifier: messageId })),
      })
      expect(other.connections()).toBe(connectionsBefore)
      expect(fake.recipients()).toEqual(['ok='])
      const refused = lines.filter((line) => line.event === 'fanout.endpointRefused')
      expect(refused.map((line) => line.details.endpoint)).toEqual(elsewhere)
      expect(lines.filter((line) => line.event === 'fanout.jobFailed')).toHaveLength(3)
      expect(metrics).toEqual(Array(3).fill(['route=fanOut', 'endpointRefused:1', 'published']).flat())
      worker.close()
    })

    it.each([
      ['no endpoint', undefined],
      ['a relative one', 'abc/prod'],
      ['a WebSocket URL', 'wss://abc.execute-api.eu-west-1.amazonaws.com/prod'],
    ])('refuses to be built with %s', (_, managementEndpoint) => {
      expect(() => handlerWith({ managementEndpoint: managementEndpoint as string })).toThrow(
        expect.objectContaining({ code: 'validation.option' }),
      )
    })

    it('removes gone connections from their shard partition and delivers to the rest', async () => {
      await writeShardSubscriptions(t.documentClient, t.tableName, {
        roomName: 'huge',
        shard: 5,
        connectionIds: idsOf('s5', 30),
      })
      const gone = ['s5-3=', 's5-17=']
      fake.markGone(...gone)
      const { worker } = handlerWith({ managementEndpoint: fake.endpoint })
      fake.clear()
      expect(await worker.handler(eventOf({ shard: 5 }))).toEqual({ batchItemFailures: [] })
      const left = await worker.repository.shardSubscribers('huge', 5)
      expect(left.sort()).toEqual(
        idsOf('s5', 30)
          .filter((id) => !gone.includes(id))
          .sort(),
      )
      for (const id of left) expect(received(fake, id), id).toBe(1)
      worker.close()
    })

    it('queues what it could not deliver as a retry job for the same endpoint', async () => {
      fake.markFailing('s3-7=', 's3-8=')
      const { worker, queue } = handlerWith({
        managementEndpoint: fake.endpoint,
        managementMaxAttempts: 1,
        retryRounds: 1,
      })
      expect(await worker.handler(eventOf({ shard: 3 }))).toEqual({ batchItemFailures: [] })
      const retries = queue.bodies().map((body) => JSON.parse(body) as RetryJob)
      expect(retries).toEqual([
        {
          v: 1,
          kind: 'retry',
          roomName: 'huge',
          frame,
          attempt: 1,
          connectionIds: expect.arrayContaining(['s3-7=', 's3-8=']),
        },
      ])
      expect(retries[0]?.connectionIds).toHaveLength(2)
      worker.close()
    })
  })
})

describe('fanOutHandlerFromEnvironment', () => {
  const recording = () => {
    const lines: { event: string; details: Record<string, unknown> }[] = []
    const logger: ServiceLogger = {
      error: (event, details) => lines.push({ event, details }),
      warn: (event, details) => lines.push({ event, details }),
    }
    return { lines, logger }
  }

  it.each([
    ['no queue URL', { CHATDB_MANAGEMENT_ENDPOINT: 'https://x.example/prod' }, 'CHATDB_FANOUT_QUEUE_URL'],
    [
      'no management endpoint',
      { CHATDB_FANOUT_QUEUE_URL: 'https://sqs.example/1/q' },
      'CHATDB_MANAGEMENT_ENDPOINT',
    ],
    [
      'a bad number',
      {
        CHATDB_FANOUT_QUEUE_URL: 'https://sqs.example/1/q',
        CHATDB_MANAGEMENT_ENDPOINT: 'https://x.example/prod',
        CHATDB_BROADCAST_CONCURRENCY: 'lots',
      },
      'CHATDB_BROADCAST_CONCURRENCY',
    ],
    [
      'an endpoint that is no URL',
      { CHATDB_FANOUT_QUEUE_URL: 'https://sqs.example/1/q', CHATDB_MANAGEMENT_ENDPOINT: 'abc/prod' },
      'CHATDB_MANAGEMENT_ENDPOINT',
    ],
  ])('fails every record, logging once per invocation, given %s', async (_, env, variable) => {
    const { lines, logger } = recording()
    const handler = fanOutHandlerFromEnvironment(env, { logger })
    for (let invocation = 1; invocation <= 2; invocation++) {
      const event = eventOf({ shard: 3 }, { shard: 4 }, { connectionIds: ['a='] })
      expect(await handler(event)).toEqual({
        batchItemFailures: event.Records.map(({ messageId }) => ({ itemIdentifier: messageId })),
      })
      expect(lines).toHaveLength(invocation)
    }
    expect(lines[0]?.event).toBe('config.invalid')
    expect(lines[0]?.details.error).toMatchObject({ code: 'validation.option' })
    expect(JSON.stringify(lines[0]?.details)).toContain(variable)
  })

  it('builds the worker once, on the first invocation, and runs every batch on it', async () => {
    let builds = 0
    const { worker } = handlerWith({ managementEndpoint: fake.endpoint })
    const handler = fanOutHandlerFromEnvironment(
      { CHATDB_FANOUT_QUEUE_URL: 'https://sqs.example/1/q', CHATDB_MANAGEMENT_ENDPOINT: fake.endpoint },
      {
        logger: silent,
        build: (settings) => {
          builds++
          expect(settings.queueUrl).toBe('https://sqs.example/1/q')
          return worker
        },
      },
    )
    fake.clear()
    expect(await handler(eventOf({ connectionIds: ['f='] }))).toEqual({ batchItemFailures: [] })
    expect(await handler(eventOf({ connectionIds: ['g='] }))).toEqual({ batchItemFailures: [] })
    expect(builds).toBe(1)
    expect(fake.recipients().sort()).toEqual(['f=', 'g='])
    worker.close()
  })

  it('refuses an event that is not from SQS without failing anything', async () => {
    const { lines, logger } = recording()
    const handler = fanOutHandlerFromEnvironment({}, { logger })
    expect(await handler({} as SqsEvent)).toEqual({ batchItemFailures: [] })
    expect(lines.map((l) => l.event)).toEqual(['fanout.badEvent'])
  })
})
