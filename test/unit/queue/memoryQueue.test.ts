import { describe, expect, it } from 'vitest'
import { isChatDbError } from '../../../src/errors.js'
import { createMemoryQueue } from '../../../src/queue/memoryQueue.js'
import { queueContract } from '../../support/queueContract.js'

queueContract(
  'createMemoryQueue',
  async ({ visibilityMs, maxReceiveCount }) => {
    const deadLetters = createMemoryQueue({ name: 'dlq' })
    return {
      queue: createMemoryQueue({
        visibilityTimeoutMs: visibilityMs,
        maxReceiveCount,
        deadLetterQueue: deadLetters,
      }),
      deadLetters,
    }
  },
  // Long enough that a loaded machine never sees a message come back between two steps of a test.
  500,
)

/** A seeded generator, so the order a receive picks is the same on every run. */
function seeded(seed: number) {
  let state = seed
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31
    return state / 2 ** 31
  }
}

describe('createMemoryQueue', () => {
  it('delivers out of order, as an SQS standard queue may', async () => {
    const queue = createMemoryQueue({ random: seeded(7) })
    const sent = Array.from({ length: 10 }, (_, i) => ({ id: `m${i}`, body: String(i) }))
    await queue.sendBatch(sent)
    const order = (await queue.receive()).map((m) => m.body)
    expect([...order].sort()).toEqual(sent.map((m) => m.body).sort())
    expect(order).not.toEqual(sent.map((m) => m.body))
  })

  it('redelivers by the clock, and a stale receipt handle deletes nothing', async () => {
    let now = 1_000
    const queue = createMemoryQueue({ visibilityTimeoutMs: 30_000, clock: () => now })
    await queue.sendBatch([{ id: 'a', body: 'job' }])
    const [first] = await queue.receive()
    expect(queue.stats()).toEqual({ visible: 0, inFlight: 1 })
    now += 29_999
    expect(await queue.receive()).toEqual([])
    now += 1
    const [second] = await queue.receive()
    expect(second?.receiveCount).toBe(2)
    // The first delivery's handle is stale: the second delivery is the one in flight.
    await queue.deleteBatch([first?.receiptHandle as string])
    expect(queue.stats()).toEqual({ visible: 0, inFlight: 1 })
    const error = await queue.changeVisibility(first?.receiptHandle as string, 0).catch((e: unknown) => e)
    expect(isChatDbError(error, 'queue.notInFlight')).toBe(true)
    await queue.deleteBatch([second?.receiptHandle as string])
    expect(queue.stats()).toEqual({ visible: 0, inFlight: 0 })
  })

  it('drops a message after maxReceiveCount receives when it has no dead-letter queue', async () => {
    let now = 0
    const queue = createMemoryQueue({ visibilityTimeoutMs: 10, maxReceiveCount: 1, clock: () => now })
    await queue.sendBatch([{ id: 'a', body: 'job' }])
    expect(await queue.receive()).toHaveLength(1)
    now += 10
    expect(await queue.receive()).toEqual([])
    expect(queue.stats()).toEqual({ visible: 0, inFlight: 0 })
  })

  it('answers a long poll as soon as a message is sent', async () => {
    const queue = createMemoryQueue()
    const polling = queue.receive({ waitTimeMs: 5_000 })
    await queue.sendBatch([{ id: 'a', body: 'late' }])
    expect((await polling).map((m) => m.body)).toEqual(['late'])
  })

  it('refuses a maxReceiveCount that is not a positive integer', () => {
    for (const maxReceiveCount of [0, -1, 1.5]) {
      expect(() => createMemoryQueue({ maxReceiveCount })).toThrow(
        expect.objectContaining({ code: 'queue.badOption' }),
      )
    }
  })
})
