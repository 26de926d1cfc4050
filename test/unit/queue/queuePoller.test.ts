import { describe, expect, it } from 'vitest'
import { createMemoryQueue } from '../../../src/queue/memoryQueue.js'
import { startQueuePoller } from '../../../src/queue/queuePoller.js'
import type { SqsEvent } from '../../../src/queue/sqsEvents.js'
import { sleep } from '../../../src/util/concurrency.js'

const jobs = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `m${i}`, body: `job-${i}` }))

async function until(condition: () => boolean, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await sleep(10)
  }
}

describe('startQueuePoller', () => {
  it('invokes the handler with SQS records and deletes what succeeded', async () => {
    const queue = createMemoryQueue()
    const events: SqsEvent[] = []
    const poller = startQueuePoller({
      queue,
      waitTimeMs: 50,
      handler: async (event) => {
        events.push(event)
        return { batchItemFailures: [] }
      },
    })
    await queue.sendBatch(jobs(10))
    await until(() => queue.stats().visible + queue.stats().inFlight === 0)
    await poller.stop()
    const records = events.flatMap((e) => e.Records)
    expect(records.map((r) => r.body).sort()).toEqual(
      jobs(10)
        .map((j) => j.body)
        .sort(),
    )
    expect(records[0]).toMatchObject({
      eventSource: 'aws:sqs',
      attributes: { ApproximateReceiveCount: '1' },
      md5OfBody: expect.stringMatching(/^[0-9a-f]{32}$/),
    })
    for (const event of events) expect(event.Records.length).toBeLessThanOrEqual(10)
  })

  it('returns only the records named in batchItemFailures to the queue', async () => {
    const queue = createMemoryQueue({ visibilityTimeoutMs: 500 })
    const attempts = new Map<string, number>()
    const poller = startQueuePoller({
      queue,
      waitTimeMs: 20,
      handler: async ({ Records }) => {
        const failures = []
        for (const record of Records) {
          const n = (attempts.get(record.body) ?? 0) + 1
          attempts.set(record.body, n)
          // Every odd job fails on its first delivery.
          if (Number(record.body.slice(4)) % 2 === 1 && n === 1)
            failures.push({ itemIdentifier: record.messageId })
        }
        return { batchItemFailures: failures }
      },
    })
    await queue.sendBatch(jobs(10))
    await until(() => queue.stats().visible + queue.stats().inFlight === 0)
    await poller.stop()
    for (const [body, n] of attempts)
      expect([body, n]).toEqual([body, Number(body.slice(4)) % 2 === 1 ? 2 : 1])
  })

  it('returns the whole batch when the handler throws (a worker that dies mid-batch)', async () => {
    const queue = createMemoryQueue({ visibilityTimeoutMs: 500 })
    const delivered: string[] = []
    const errors: unknown[] = []
    let crashed = false
    const poller = startQueuePoller({
      queue,
      waitTimeMs: 20,
      concurrency: 1,
      onError: (error) => errors.push(error),
      handler: async ({ Records }) => {
        if (!crashed) {
          crashed = true
          throw new Error('worker killed')
        }
        delivered.push(...Records.map((r) => r.body))
        return { batchItemFailures: [] }
      },
    })
    await queue.sendBatch(jobs(5))
    await until(() => queue.stats().visible + queue.stats().inFlight === 0)
    await poller.stop()
    expect(errors).toHaveLength(1)
    expect(delivered.sort()).toEqual(
      jobs(5)
        .map((j) => j.body)
        .sort(),
    )
  })

  it('stop waits for the invocation in flight', async () => {
    const queue = createMemoryQueue()
    let finished = false
    const poller = startQueuePoller({
      queue,
      waitTimeMs: 20,
      handler: async () => {
        await sleep(100)
        finished = true
        return { batchItemFailures: [] }
      },
    })
    await queue.sendBatch(jobs(1))
    await until(() => queue.stats().inFlight === 1)
    await poller.stop()
    expect(finished).toBe(true)
    expect(queue.stats()).toEqual({ visible: 0, inFlight: 0 })
  })
})
