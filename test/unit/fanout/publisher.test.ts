import { afterEach, describe, expect, it, vi } from 'vitest'
import { isChatDbError } from '../../../src/errors.js'
import type { FanOutJob } from '../../../src/fanout/jobs.js'
import { publishJobs } from '../../../src/fanout/publisher.js'
import { createMemoryQueue } from '../../../src/queue/memoryQueue.js'
import type { OutgoingMessage, QueuePort } from '../../../src/queue/types.js'
import { timersOf } from '../../support/recordedTimers.js'

const job = (message: string, shard: number): FanOutJob => ({
  v: 1,
  kind: 'shard',
  roomName: 'big',
  shard,
  attempt: 0,
  frame: { type: 'newMessage', roomName: 'big', message: { id: 'm1', userName: 'ada', message, time: 1 } },
})

/** The memory queue, counting its SendMessageBatch calls. */
function countingQueue() {
  const memory = createMemoryQueue()
  let calls = 0
  const queue: QueuePort = {
    ...memory,
    sendBatch(batch) {
      calls++
      return memory.sendBatch(batch)
    },
  }
  return { memory, queue, calls: () => calls }
}

/** The memory queue, refusing each entry id its first `refusals[id]` times (as SQS does under throttling). */
function refusingQueue(refusals: Record<string, number>) {
  const memory = createMemoryQueue({ name: 'fanout' })
  const sent: string[][] = []
  const refuses = (id: string) => {
    refusals[id] = (refusals[id] ?? 0) - 1
    return refusals[id] >= 0
  }
  const queue: QueuePort = {
    ...memory,
    async sendBatch(batch: readonly OutgoingMessage[]) {
      sent.push(batch.map((m) => m.id))
      const refused = batch.filter((m) => refuses(m.id))
      const accepted = batch.filter((m) => !refused.includes(m))
      const { failed } = accepted.length > 0 ? await memory.sendBatch(accepted) : { failed: [] }
      return {
        failed: [
          ...failed,
          ...refused.map((m) => ({
            id: m.id,
            code: 'AWS.SimpleQueueService.Throttling',
            message: 'slow down',
          })),
        ],
      }
    },
  }
  return { memory, queue, sent }
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('publishJobs', () => {
  it('resends only the refused entries, waiting backoffMs × 2^attempt with full jitter', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5)
    const { memory, queue, sent } = refusingQueue({ j1: 1, j2: 2 })
    const { result, waits } = await timersOf(() =>
      publishJobs(queue, [job('a', 0), job('b', 1), job('c', 2)], { backoffMs: 10 }),
    )
    expect(result).toStrictEqual({ jobs: 3, batches: 3 })
    expect(sent).toStrictEqual([['j0', 'j1', 'j2'], ['j1', 'j2'], ['j2']])
    expect(waits).toStrictEqual([10, 20])
    expect(memory.stats().visible).toBe(3)
  })

  it('fails with queue.failed after 4 attempts by default, waiting 50 ms × 2^attempt', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5)
    const { queue, sent } = refusingQueue({ j0: 9 })
    const { result: error, waits } = await timersOf(() =>
      publishJobs(queue, [job('a', 0), job('b', 1)]).then(
        () => undefined,
        (e: unknown) => e,
      ),
    )
    expect(isChatDbError(error, 'queue.failed')).toBe(true)
    expect((error as Error).message).toBe(
      'queue "fanout" refused 1 fan-out job(s) 4 time(s): AWS.SimpleQueueService.Throttling',
    )
    expect(sent).toStrictEqual([['j0', 'j1'], ['j0'], ['j0'], ['j0']])
    expect(waits).toStrictEqual([50, 100, 200])
  })

  it('makes `attempts` attempts in all', async () => {
    const { queue, sent } = refusingQueue({ j0: 9 })
    const error = await publishJobs(queue, [job('a', 0)], { attempts: 2, backoffMs: 1 }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect((error as Error).message).toContain('2 time(s)')
    expect(sent).toStrictEqual([['j0'], ['j0']])
  })

  it('fails at once, without resending, a job whose body the queue cannot carry', async () => {
    const { memory, queue, calls } = countingQueue()
    const error = await publishJobs(queue, [job('fine', 0), job('not \uffff fine', 1)], {
      backoffMs: 1,
    }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(isChatDbError(error, 'queue.failed')).toBe(true)
    expect((error as Error).message).toContain('InvalidMessageContents')
    expect(calls()).toBe(1)
    expect(memory.stats().visible).toBe(1)
  })

  it('sends jobs of any text the protocol accepts', async () => {
    const { memory, queue } = countingQueue()
    const text = 'tab\t, emoji 🎉, \ue000 \ufffd, "quotes" and \\ backslashes'
    expect(await publishJobs(queue, [job(text, 0)])).toEqual({ jobs: 1, batches: 1 })
    const [body] = memory.bodies()
    expect((JSON.parse(body as string) as FanOutJob).frame).toMatchObject({ message: { message: text } })
  })
})
