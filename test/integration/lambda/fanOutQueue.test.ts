import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs'
import { interceptLocalhostDns, startFauxqs } from 'fauxqs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fanOutQueueSettingsFromEnv, lazySqsFanOutQueue } from '../../../src/lambda/fanOutQueue.js'

let server: Awaited<ReturnType<typeof startFauxqs>>
let client: SQSClient
let restoreDns: (() => void) | undefined
const saved = { ...process.env }

beforeAll(async () => {
  server = await startFauxqs({ port: 0, logger: false })
  // fauxqs names its queues on `sqs.<region>.localhost`, the host the SDK posts to (it takes the
  // queue URL's): those names resolve to 127.0.0.1 here, as a real queue URL resolves to SQS.
  restoreDns = interceptLocalhostDns()
  client = new SQSClient({
    endpoint: server.address,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  })
  // The router's SQS client takes its region and credentials from the SDK's own chain, as in Lambda.
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  })
})

afterAll(async () => {
  process.env = saved
  restoreDns?.()
  client?.destroy()
  await server?.stop()
})

describe('lazySqsFanOutQueue', () => {
  it('publishes to the SQS queue of CHATDB_FANOUT_QUEUE_URL once loaded', async () => {
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'router-fanout' }))
    const settings = fanOutQueueSettingsFromEnv({
      CHATDB_FANOUT_QUEUE_URL: QueueUrl,
      CHATDB_QUEUE_MAX_ATTEMPTS: '1',
    })
    const queue = lazySqsFanOutQueue(settings as NonNullable<typeof settings>)
    expect(queue.name).toBe('router-fanout')
    const bodies = Array.from({ length: 10 }, (_, i) => JSON.stringify({ job: i }))
    expect(await queue.sendBatch(bodies.map((body, i) => ({ id: `j${i}`, body })))).toEqual({ failed: [] })
    const received: string[] = []
    while (received.length < bodies.length) {
      const { Messages = [] } = await client.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      )
      if (Messages.length === 0) break
      received.push(...Messages.map((m) => m.Body as string))
    }
    expect(received.sort()).toEqual([...bodies].sort())
  })
})
