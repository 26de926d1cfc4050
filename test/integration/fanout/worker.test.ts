import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi'
import { afterEach, describe, expect, it } from 'vitest'
import type { FanOutJob, RetryJob } from '../../../src/fanout/jobs.js'
import { publishJobs } from '../../../src/fanout/publisher.js'
import { createFanOutWorker } from '../../../src/fanout/worker.js'
import { createBroadcaster } from '../../../src/lambda/broadcaster.js'
import type { ServerFrame } from '../../../src/protocol/frames.js'
import { createMemoryQueue } from '../../../src/queue/memoryQueue.js'
import { startQueuePoller, toSqsRecord } from '../../../src/queue/queuePoller.js'
import type { ServiceLogger } from '../../../src/service/types.js'
import { sleep } from '../../../src/util/concurrency.js'
import { type ConnectionsFake, startConnectionsFake } from '../../support/connectionsFake.js'
import { queueTime } from '../../support/queueTime.js'

const silent: ServiceLogger = { error: () => {}, warn: () => {} }
const frame: ServerFrame = {
  type: 'newMessage',
  roomName: 'big',
  message: { id: 'm1', userName: 'ada', message: 'hello, everyone', time: 1 },
}

/** 8 shards of 50 connections each. */
const shards = Array.from({ length: 8 }, (_, shard) =>
  Array.from({ length: 50 }, (_, i) => `s${shard}-c${i}=`),
)
const everyone = shards.flat()
const jobsFor = (roomName: string): FanOutJob[] =>
  shards.map((_, shard) => ({ v: 1, kind: 'shard', roomName, shard, frame, attempt: 0 }))

let cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const step of cleanup.reverse()) await step()
  cleanup = []
})

/**
 * Until `condition` holds; `idle` may move the queue's virtual time on meanwhile, checked after a
 * timer, when every promise the poller had in hand has moved on (a batch just received is
 * already in its handler).
 */
async function until(condition: () => boolean, idle: () => void, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await sleep(10)
    idle()
  }
}

async function setUp(options: {
  faults?: { rate: number; seed?: number }
  targetsOf?: (roomName: string, shard: number) => Promise<string[]>
  maxReceiveCount?: number
  /** Long by default, so a slow machine never sees a job come back while it is being worked. */
  visibilityTimeoutMs?: number
}) {
  const fake: ConnectionsFake = await startConnectionsFake({ faults: options.faults })
  // One attempt per post: the worker's own retry rounds are under test, not the SDK's.
  const client = new ApiGatewayManagementApiClient({
    endpoint: fake.endpoint,
    region: 'local',
    maxAttempts: 1,
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  })
  const removed: string[] = []
  const broadcaster = createBroadcaster({
    client,
    logger: silent,
    onGone: async (connectionId) => removed.push(connectionId),
  })
  // Virtual time: a job that comes back after its visibility timeout does so once the poller is
  // idle, without the test waiting the timeout out (test/support/queueTime.ts).
  const time = queueTime()
  const visibilityTimeoutMs = options.visibilityTimeoutMs ?? 60_000
  const deadLetters = createMemoryQueue({ name: 'fanout-dlq', clock: time.clock })
  const queue = createMemoryQueue({
    name: 'fanout',
    clock: time.clock,
    visibilityTimeoutMs,
    maxReceiveCount: options.maxReceiveCount ?? 3,
    deadLetterQueue: deadLetters,
  })
  const worker = createFanOutWorker({
    broadcaster,
    queue,
    logger: silent,
    targetsOf: options.targetsOf ?? (async (_, shard) => shards[shard] ?? []),
    wait: async () => {},
  })
  const errors: unknown[] = []
  const poller = startQueuePoller({
    queue,
    handler: time.counted(worker.handler),
    waitTimeMs: 20,
    onError: (e) => errors.push(e),
  })
  cleanup.push(async () => {
    await poller.stop()
    client.destroy()
    await fake.close()
  })
  const waitFor = (condition: () => boolean) =>
    until(condition, () => time.skipIdle(queue, visibilityTimeoutMs))
  const drained = () => waitFor(() => queue.stats().visible + queue.stats().inFlight === 0)
  return { fake, queue, deadLetters, removed, errors, drained, waitFor }
}

const received = (fake: ConnectionsFake, id: string) =>
  fake.framesFor(id).filter((f) => f.type === 'newMessage' && f.message.id === 'm1').length

describe('createFanOutWorker', () => {
  it('delivers the frame to every connection of every shard', async () => {
    const t = await setUp({})
    const report = await publishJobs(t.queue, jobsFor('big'))
    expect(report).toEqual({ jobs: 8, batches: 1 })
    await t.drained()
    for (const id of everyone) expect(received(t.fake, id), id).toBe(1)
    expect(t.deadLetters.stats()).toEqual({ visible: 0, inFlight: 0 })
  })

  it('gets every frame through 30% throttled and failing posts, at least once each', async () => {
    const t = await setUp({ faults: { rate: 0.3, seed: 11 } })
    await publishJobs(t.queue, jobsFor('big'))
    await t.drained()
    expect(t.fake.faultsInjected()).toBeGreaterThan(50)
    for (const id of everyone) expect(received(t.fake, id), id).toBeGreaterThanOrEqual(1)
    expect(t.deadLetters.stats()).toEqual({ visible: 0, inFlight: 0 })
  })

  it('removes gone connections and keeps delivering to the rest', async () => {
    const t = await setUp({})
    const gone = ['s0-c1=', 's3-c7=', 's7-c49=']
    t.fake.markGone(...gone)
    await publishJobs(t.queue, jobsFor('big'))
    await t.drained()
    expect(t.removed.sort()).toEqual([...gone].sort())
    for (const id of everyone) expect(received(t.fake, id), id).toBe(gone.includes(id) ? 0 : 1)
  })

  it('sends posts that keep failing to one retry job, then to the dead-letter queue', async () => {
    // Longer than a shard job takes on a busy machine: a job redelivered while still being
    // worked would be received too often and go dead itself, as on SQS.
    const t = await setUp({ maxReceiveCount: 2, visibilityTimeoutMs: 3_000 })
    const failing = ['s2-c3=', 's5-c0=']
    t.fake.markFailing(...failing)
    await publishJobs(t.queue, jobsFor('big'))
    // Each shard job with a failing connection queued one retry job of it, which failed again.
    await t.waitFor(() => t.deadLetters.stats().visible >= 2)
    await t.drained()
    const dead = t.deadLetters.bodies().map((body) => JSON.parse(body) as RetryJob)
    for (const job of dead) expect([job.kind, job.attempt]).toEqual(['retry', 1])
    expect([...new Set(dead.flatMap((job) => job.connectionIds))].sort()).toEqual(failing)
    for (const id of everyone) {
      if (failing.includes(id)) expect(received(t.fake, id), id).toBe(0)
      else expect(received(t.fake, id), id).toBeGreaterThanOrEqual(1)
    }
  }, 60_000)

  it('delivers everything when a worker dies mid-batch: the batch comes back', async () => {
    let calls = 0
    const t = await setUp({
      targetsOf: async (_, shard) => {
        if (++calls === 3) throw new Error('worker killed')
        return shards[shard] ?? []
      },
      visibilityTimeoutMs: 500,
    })
    await publishJobs(t.queue, jobsFor('big'))
    await t.drained()
    for (const id of everyone) expect(received(t.fake, id), id).toBeGreaterThanOrEqual(1)
  })

  it('fails an unreadable job alone: it ends in the dead-letter queue, the others are delivered', async () => {
    // Longer than the good job takes on a busy machine, so only the bad one is received twice.
    const t = await setUp({ maxReceiveCount: 1, visibilityTimeoutMs: 3_000 })
    await t.queue.sendBatch([
      { id: 'bad', body: '{"v":2}' },
      { id: 'good', body: JSON.stringify(jobsFor('big')[0]) },
    ])
    await t.waitFor(() => t.deadLetters.stats().visible === 1)
    await t.drained()
    expect(t.deadLetters.bodies()).toEqual(['{"v":2}'])
    for (const id of shards[0] ?? []) expect(received(t.fake, id), id).toBeGreaterThanOrEqual(1)
  }, 60_000)

  it('answers a batch whose every record failed with all of them, without throwing', async () => {
    const worker = createFanOutWorker({
      broadcaster: { post: async () => ({ delivered: [], gone: [], failed: [] }) },
      queue: createMemoryQueue(),
      logger: silent,
      targetsOf: async () => {
        throw new Error('shard unreadable')
      },
    })
    const records = jobsFor('big')
      .slice(0, 2)
      .map((job, i) =>
        toSqsRecord(
          {
            messageId: `m${i}`,
            receiptHandle: `h${i}`,
            body: JSON.stringify(job),
            receiveCount: 1,
            sentAt: 1,
          },
          'arn:aws:sqs:local:000000000000:fanout',
          'local',
        ),
      )
    await expect(worker.handler({ Records: records })).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: 'm0' }, { itemIdentifier: 'm1' }],
    })
  })
})
