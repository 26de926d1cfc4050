import { describe, expect, it } from 'vitest'
import { isChatDbError } from '../../../src/errors.js'
import {
  FANOUT_REQUEST_TIMEOUT_MS,
  fanOutQueueSettingsFromEnv,
  lazyQueue,
  lazySqsFanOutQueue,
} from '../../../src/lambda/fanOutQueue.js'
import { createMemoryQueue } from '../../../src/queue/memoryQueue.js'

const queueUrl = 'https://sqs.eu-west-1.amazonaws.com/123456789012/chat-fanout'

describe('fanOutQueueSettingsFromEnv', () => {
  it('is undefined without CHATDB_FANOUT_QUEUE_URL (large rooms then post from the route)', () => {
    expect(fanOutQueueSettingsFromEnv({})).toBeUndefined()
    expect(fanOutQueueSettingsFromEnv({ CHATDB_FANOUT_QUEUE_URL: '' })).toBeUndefined()
  })

  it('reads the URL and the SQS client settings, with the Lambdas’ defaults', () => {
    expect(fanOutQueueSettingsFromEnv({ CHATDB_FANOUT_QUEUE_URL: queueUrl })).toEqual({
      queueUrl,
      queueTimeoutMs: FANOUT_REQUEST_TIMEOUT_MS,
      queueMaxAttempts: undefined,
    })
    expect(
      fanOutQueueSettingsFromEnv({
        CHATDB_FANOUT_QUEUE_URL: queueUrl,
        CHATDB_QUEUE_TIMEOUT_MS: '750',
        CHATDB_QUEUE_MAX_ATTEMPTS: '5',
      }),
    ).toEqual({ queueUrl, queueTimeoutMs: 750, queueMaxAttempts: 5 })
  })

  it('refuses a URL that is not http(s), a bad timeout or attempt count, naming the variable', () => {
    for (const [name, value] of [
      ['CHATDB_FANOUT_QUEUE_URL', 'chat-fanout'],
      ['CHATDB_FANOUT_QUEUE_URL', 'sqs://queue'],
      ['CHATDB_QUEUE_TIMEOUT_MS', 'soon'],
      ['CHATDB_QUEUE_TIMEOUT_MS', 'Infinity'],
      ['CHATDB_QUEUE_MAX_ATTEMPTS', '2.5'],
    ] as const) {
      let error: unknown
      try {
        fanOutQueueSettingsFromEnv({ CHATDB_FANOUT_QUEUE_URL: queueUrl, [name]: value })
      } catch (e) {
        error = e
      }
      expect(isChatDbError(error, 'validation.option'), `${name}=${value}`).toBe(true)
      expect((error as Error).message).toContain(name)
    }
  })
})

describe('lazyQueue', () => {
  it('loads its adapter on first use, once, and delegates every call to it', async () => {
    const memory = createMemoryQueue({ name: 'behind' })
    let loads = 0
    const queue = lazyQueue('fanout', async () => {
      loads++
      return memory
    })
    expect(queue.name).toBe('fanout')
    expect(loads).toBe(0)
    await Promise.all([
      queue.sendBatch([{ id: 'a', body: 'one' }]),
      queue.sendBatch([{ id: 'b', body: 'two' }]),
    ])
    expect(loads).toBe(1)
    const received = await queue.receive({ maxMessages: 10 })
    expect(received.map((m) => m.body).sort()).toEqual(['one', 'two'])
    const [first] = received
    await queue.changeVisibility(first?.receiptHandle as string, 60_000)
    await queue.deleteBatch(received.map((m) => m.receiptHandle))
    expect(memory.stats()).toEqual({ visible: 0, inFlight: 0 })
    expect(loads).toBe(1)
  })

  it('tries the load again on the next call after one failed', async () => {
    let loads = 0
    const queue = lazyQueue('fanout', async () => {
      loads++
      if (loads === 1) throw new Error('chunk missing')
      return createMemoryQueue()
    })
    await expect(queue.sendBatch([{ id: 'a', body: 'x' }])).rejects.toThrow('chunk missing')
    await expect(queue.sendBatch([{ id: 'a', body: 'x' }])).resolves.toEqual({ failed: [] })
    expect(loads).toBe(2)
  })
})

describe('lazySqsFanOutQueue', () => {
  it('is named after the queue URL and builds no SQS client until used', () => {
    expect(lazySqsFanOutQueue({ queueUrl, queueTimeoutMs: 2_000, queueMaxAttempts: undefined }).name).toBe(
      'chat-fanout',
    )
  })
})
