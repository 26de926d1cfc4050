import { describe, expect, it } from 'vitest'
import { isChatDbError } from '../../../src/errors.js'
import type { FanOutJob } from '../../../src/fanout/jobs.js'
import { publishJobs } from '../../../src/fanout/publisher.js'
import { createMemoryQueue } from '../../../src/queue/memoryQueue.js'
import type { QueuePort } from '../../../src/queue/types.js'

const job = (message: string, shard: number): FanOutJob => ({
  v: 1,
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

describe('publishJobs', () => {
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
