import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs'
import { startFauxqs } from 'fauxqs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isChatDbError } from '../../../src/errors.js'
import { createSqsQueue } from '../../../src/queue/sqsQueue.js'
import { queueContract } from '../../support/queueContract.js'

let server: Awaited<ReturnType<typeof startFauxqs>>
let client: SQSClient
let queues = 0

beforeAll(async () => {
  // fauxqs 1.9 (Node 20) speaks the JSON protocol of the pinned @aws-sdk/client-sqs.
  server = await startFauxqs({ port: 0, logger: false })
  client = new SQSClient({
    endpoint: server.address,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  })
})

afterAll(async () => {
  client?.destroy()
  await server?.stop()
})

async function createQueue(name: string, attributes: Record<string, string> = {}) {
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))
  return QueueUrl as string
}

queueContract(
  'createSqsQueue on fauxqs',
  async ({ visibilityMs, maxReceiveCount }) => {
    const n = ++queues
    const deadLetterUrl = await createQueue(`contract-dlq-${n}`)
    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: deadLetterUrl, AttributeNames: ['QueueArn'] }),
    )
    const queueUrl = await createQueue(`contract-${n}`, {
      VisibilityTimeout: String(visibilityMs / 1000),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount }),
    })
    return {
      queue: createSqsQueue({ client, queueUrl }),
      deadLetters: createSqsQueue({ client, queueUrl: deadLetterUrl }),
    }
  },
  1_000,
)

describe('createSqsQueue', () => {
  it('says queue.notFound for a queue that does not exist', async () => {
    const queue = createSqsQueue({ client, queueUrl: `${server.address}/000000000000/nowhere` })
    const error = await queue.receive().catch((e: unknown) => e)
    expect(isChatDbError(error, 'queue.notFound')).toBe(true)
  })

  it('says queue.unavailable when SQS does not answer', async () => {
    const down = new SQSClient({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    })
    const queue = createSqsQueue({ client: down, queueUrl: 'http://127.0.0.1:9/000000000000/q' })
    const error = await queue.sendBatch([{ id: 'a', body: 'x' }]).catch((e: unknown) => e)
    expect(isChatDbError(error, 'queue.unavailable')).toBe(true)
    down.destroy()
  })

  it('says queue.notInFlight for a visibility change of a message already deleted', async () => {
    const queueUrl = await createQueue(`in-flight-${++queues}`)
    const queue = createSqsQueue({ client, queueUrl })
    await queue.sendBatch([{ id: 'a', body: 'job' }])
    const [message] = await queue.receive({ waitTimeMs: 1_000 })
    await queue.deleteBatch([message?.receiptHandle as string])
    const error = await queue.changeVisibility(message?.receiptHandle as string, 0).catch((e: unknown) => e)
    expect(isChatDbError(error, 'queue.notInFlight')).toBe(true)
  })

  it('names the queue after the last part of its URL', () => {
    expect(
      createSqsQueue({ client, queueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/chat-fanout' }).name,
    ).toBe('chat-fanout')
  })
})
