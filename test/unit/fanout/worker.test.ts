import { afterEach, describe, expect, it, vi } from 'vitest'
import type { RetryJob, ShardJob } from '../../../src/fanout/jobs.js'
import { createFanOutWorker, type FanOutWorkerOptions } from '../../../src/fanout/worker.js'
import { createMemoryQueue } from '../../../src/queue/memoryQueue.js'
import { toSqsRecord } from '../../../src/queue/queuePoller.js'
import type { Broadcaster, BroadcastReport } from '../../../src/service/types.js'

const throttled = Object.assign(new Error('slow down'), {
  name: 'LimitExceededException',
  $metadata: { httpStatusCode: 429 },
})
const forbidden = Object.assign(new Error('no'), {
  name: 'ForbiddenException',
  $metadata: { httpStatusCode: 403 },
})

const job: ShardJob = {
  v: 1,
  kind: 'shard',
  roomName: 'big',
  shard: 0,
  attempt: 0,
  frame: {
    type: 'newMessage',
    roomName: 'big',
    message: { id: 'm1', userName: 'ada', message: 'hi', time: 1 },
  },
}

/**
 * A broadcaster that fails each connection's first `failures[id]` posts with `error`, and
 * records the connection ids of every post call.
 */
function scriptedBroadcaster(failures: Record<string, number>, error: unknown = throttled) {
  const calls: string[][] = []
  const broadcaster: Broadcaster = {
    async post(deliveries) {
      const ids = deliveries.map((d) => d.connectionId)
      calls.push(ids)
      const report: BroadcastReport = { delivered: [], gone: [], failed: [] }
      for (const id of ids) {
        const left = failures[id] ?? 0
        failures[id] = left - 1
        if (left > 0) report.failed.push({ connectionId: id, error })
        else report.delivered.push(id)
      }
      return report
    },
  }
  return { broadcaster, calls }
}

/** Runs one job through a worker with `options`; answers what it waited, logged and queued. */
async function runJob(options: Omit<FanOutWorkerOptions, 'queue' | 'targetsOf' | 'wait'>, targets: string[]) {
  const waits: number[] = []
  const logs: [string, Record<string, unknown>][] = []
  const queue = createMemoryQueue()
  const worker = createFanOutWorker({
    ...options,
    queue,
    targetsOf: async () => targets,
    wait: async (ms) => void waits.push(ms),
    logger: { warn: (event, details) => logs.push([event, details]), error: () => {} },
  })
  const record = toSqsRecord(
    { messageId: 'm0', receiptHandle: 'h0', body: JSON.stringify(job), receiveCount: 1, sentAt: 1 },
    'arn:aws:sqs:local:000000000000:fanout',
    'local',
  )
  const response = await worker.handler({ Records: [record] })
  const queued = queue.bodies().map((body) => JSON.parse(body) as RetryJob)
  return { waits, logs, queued, response }
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('createFanOutWorker', () => {
  describe('retry rounds', () => {
    it('reposts only the throttled connections, waiting retryBackoffMs doubled with full jitter', async () => {
      vi.spyOn(Math, 'random').mockReturnValue(0.5)
      const { broadcaster, calls } = scriptedBroadcaster({ b: 1, c: 2 })
      const { waits, queued, response } = await runJob({ broadcaster, retryBackoffMs: 100 }, ['a', 'b', 'c'])
      expect(calls).toStrictEqual([['a', 'b', 'c'], ['b', 'c'], ['c']])
      expect(waits).toStrictEqual([50, 100])
      expect(queued).toStrictEqual([])
      expect(response).toStrictEqual({ batchItemFailures: [] })
    })

    it('makes 2 retry rounds 250 ms apart, doubled, by default, then queues one retry job of what is left', async () => {
      vi.spyOn(Math, 'random').mockReturnValue(0.5)
      const { broadcaster, calls } = scriptedBroadcaster({ b: 9, c: 9 })
      const { waits, logs, queued } = await runJob({ broadcaster }, ['a', 'b', 'c'])
      expect(calls).toStrictEqual([
        ['a', 'b', 'c'],
        ['b', 'c'],
        ['b', 'c'],
      ])
      expect(waits).toStrictEqual([125, 250])
      expect(queued).toStrictEqual([
        { v: 1, kind: 'retry', roomName: 'big', connectionIds: ['b', 'c'], frame: job.frame, attempt: 1 },
      ])
      expect(logs).toStrictEqual([['fanout.retryQueued', { roomName: 'big', count: 2 }]])
    })

    it('makes retryRounds rounds, without waiting when it is 0', async () => {
      const { broadcaster, calls } = scriptedBroadcaster({ a: 9 })
      const { waits, queued } = await runJob({ broadcaster, retryRounds: 0 }, ['a'])
      expect(calls).toStrictEqual([['a']])
      expect(waits).toStrictEqual([])
      expect(queued.map((q) => q.connectionIds)).toStrictEqual([['a']])
    })

    it('drops and logs posts that would fail again, without retrying them', async () => {
      const { broadcaster, calls } = scriptedBroadcaster({ a: 9 }, forbidden)
      const { waits, logs, queued } = await runJob({ broadcaster }, ['a', 'b'])
      expect(calls).toStrictEqual([['a', 'b']])
      expect(waits).toStrictEqual([])
      expect(queued).toStrictEqual([])
      expect(logs.map(([event, { count }]) => [event, count])).toStrictEqual([['fanout.postsDropped', 1]])
    })

    it('posts nothing for a shard with no subscribers', async () => {
      const { broadcaster, calls } = scriptedBroadcaster({})
      const { waits, queued, response } = await runJob({ broadcaster }, [])
      expect(calls).toStrictEqual([])
      expect(waits).toStrictEqual([])
      expect(queued).toStrictEqual([])
      expect(response).toStrictEqual({ batchItemFailures: [] })
    })
  })
})
