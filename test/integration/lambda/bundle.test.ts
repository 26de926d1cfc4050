import { execFile } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs'
import { startFauxqs } from 'fauxqs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startConnectionsFake } from '../../support/connectionsFake.js'
import { dynamoEndpoint, useTestTable } from '../../support/dynamo.js'
import { writeShardSubscriptions } from '../../support/shardedSubscriptions.js'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../..', import.meta.url))
const t = useTestTable()
let fake: Awaited<ReturnType<typeof startConnectionsFake>>

beforeAll(async () => {
  await run(process.execPath, ['scripts/build-lambda.mjs'], { cwd: root })
  fake = await startConnectionsFake()
})
afterAll(() => fake?.close())

/** The environment of a fresh Lambda-like process: nothing of this one's but PATH. */
const lambdaEnv = (extra: Record<string, string>) => ({
  PATH: process.env.PATH,
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_REGION: 'eu-west-1',
  AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint(),
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  CHATDB_TABLE: t.tableName,
  CHATDB_MANAGEMENT_ENDPOINT: fake.endpoint,
  ...extra,
})

describe('the bundled Lambda (npm run build:lambda)', () => {
  it('is one minified file per function with a source map; the router carries none of the worker', () => {
    for (const name of ['index', 'worker', 'sqsFanOutQueue']) {
      const bundle = statSync(`${root}/dist/lambda/${name}.mjs`)
      expect(bundle.size).toBeGreaterThan(100_000)
      expect(bundle.size).toBeLessThan(3_000_000)
      expect(statSync(`${root}/dist/lambda/${name}.mjs.map`).size).toBeGreaterThan(0)
    }
    // The SQS client and the batch processor would cost the routes' cold start (bench "Lambda cold start").
    const router = readFileSync(`${root}/dist/lambda/index.mjs`, 'utf8')
    expect(router).not.toContain('ReceiveMessage')
    expect(router).not.toContain('FullBatchFailureError')
    expect(router).not.toContain('SendMessageBatch')
    // The router's SQS adapter is a bundle of its own, loaded on the first publish.
    expect(router).toContain('import("./sqsFanOutQueue.mjs")')
    const adapter = readFileSync(`${root}/dist/lambda/sqsFanOutQueue.mjs`, 'utf8')
    expect(adapter).toContain('SendMessageBatch')
    expect(adapter).not.toContain('FullBatchFailureError')
    expect(readFileSync(`${root}/dist/lambda/worker.mjs`, 'utf8')).toContain('FullBatchFailureError')
    expect(JSON.parse(readFileSync(`${root}/dist/lambda/package.json`, 'utf8'))).toMatchObject({
      type: 'module',
    })
  })

  it('is replaced whole by a rebuild (a new file renamed over it): a process reading it meanwhile gets all of one build', async () => {
    // The test projects of both engines build the bundles at once while other tests load them.
    const names = ['index', 'worker', 'sqsFanOutQueue'].flatMap((name) => [`${name}.mjs`, `${name}.mjs.map`])
    const held = await Promise.all(
      names.map(async (name) => {
        const path = `${root}/dist/lambda/${name}`
        return { path, handle: await open(path), before: statSync(path) }
      }),
    )
    try {
      await run(process.execPath, ['scripts/build-lambda.mjs'], { cwd: root })
      for (const { path, handle, before } of held) {
        expect(statSync(path).ino, path).not.toBe(before.ino)
        expect((await handle.readFile()).length, path).toBe(before.size)
      }
    } finally {
      await Promise.all(held.map(({ handle }) => handle.close()))
    }
  })

  it('handles the fixture event of every route in a fresh Node process against the test engine', async () => {
    const { stdout, stderr } = await run(
      process.execPath,
      [`${root}/test/fixtures/driveBundle.mjs`, `${root}/dist/lambda/index.mjs`, `${root}/fixtures/events`],
      {
        cwd: root,
        env: lambdaEnv({ POWERTOOLS_METRICS_NAMESPACE: 'chatdbBundle' }),
      },
    )
    expect(stderr).not.toMatch(/NodeVersionSupportWarning|Error/)
    const results = JSON.parse(stdout.trim().split('\n').at(-1) as string) as {
      name: string
      statusCode: unknown
    }[]
    expect(results).toEqual([
      { name: 'connect', statusCode: 200 },
      { name: 'subscribe', statusCode: 200 },
      { name: 'sendMessage', statusCode: 200 },
      { name: 'listRooms', statusCode: 200 },
      // An unknown action: the caller got a 400 error frame, and the route says so.
      { name: 'default', statusCode: 400 },
      { name: 'unsubscribe', statusCode: 200 },
      { name: 'disconnect', statusCode: 200 },
      { name: 'per-route handlers', statusCode: 7 },
    ])
    // Powertools, bundled: one EMF record per invocation on stdout, in the order of the routes.
    const records = stdout
      .trim()
      .split('\n')
      .slice(0, -1)
      .map(
        (line) =>
          JSON.parse(line) as { _aws?: { CloudWatchMetrics: { Namespace: string }[] }; route?: string },
      )
      .filter((line) => line._aws !== undefined)
    expect(records.map((r) => [r._aws?.CloudWatchMetrics[0]?.Namespace, r.route])).toEqual(
      ['$connect', 'subscribe', 'sendMessage', 'listRooms', '$default', 'unsubscribe', '$disconnect'].map(
        (route) => ['chatdbBundle', route],
      ),
    )
    const frames = fake.framesFor('Xk3a9cD1oAMCJzQ=')
    expect(frames.map((f) => f.type)).toEqual(
      expect.arrayContaining(['subscribed', 'newMessage', 'roomList', 'error', 'unsubscribed']),
    )
  })

  it("loads the router's SQS adapter bundle in a fresh Node process and publishes through it", async () => {
    const sqs = await startFauxqs({ port: 0, logger: false })
    const client = new SQSClient({
      endpoint: sqs.address,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    })
    try {
      const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'bundle-publish' }))
      const settings = { queueUrl: QueueUrl, queueTimeoutMs: 2_000, queueMaxAttempts: 1 }
      const script = [
        "import { interceptLocalhostDns } from 'fauxqs'",
        'interceptLocalhostDns()',
        `const { sqsFanOutQueue } = await import(${JSON.stringify(`${root}/dist/lambda/sqsFanOutQueue.mjs`)})`,
        `const queue = sqsFanOutQueue(${JSON.stringify(settings)})`,
        "process.stdout.write(JSON.stringify(await queue.sendBatch([{ id: 'j0', body: 'job' }])))",
      ].join('\n')
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
        cwd: root,
        env: lambdaEnv({}),
      })
      expect(JSON.parse(stdout)).toEqual({ failed: [] })
      const { Messages = [] } = await client.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      )
      expect(Messages.map((m) => m.Body)).toEqual(['job'])
    } finally {
      client.destroy()
      await sqs.stop()
    }
  })

  it('runs the fan-out worker (fanOutHandler) on an SQS event: every shard member gets the frame, a failed post becomes a retry job on SQS', async () => {
    const sqs = await startFauxqs({ port: 0, logger: false })
    const client = new SQSClient({
      endpoint: sqs.address,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    })
    try {
      const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'bundle-fanout' }))
      const members = Array.from({ length: 40 }, (_, i) => `bundle-${i}=`)
      await writeShardSubscriptions(t.documentClient, t.tableName, {
        roomName: 'bundled',
        shard: 2,
        connectionIds: members,
      })
      fake.markFailing('bundle-9=')
      const frame = {
        type: 'newMessage',
        roomName: 'bundled',
        message: { id: 'b1', userName: 'ada', message: 'hi', time: 1 },
      }
      const event = {
        Records: [
          {
            messageId: 'job-1',
            receiptHandle: 'rh-1',
            body: JSON.stringify({ v: 1, kind: 'shard', roomName: 'bundled', shard: 2, frame, attempt: 0 }),
            attributes: {},
            messageAttributes: {},
            md5OfBody: '',
            eventSource: 'aws:sqs',
            eventSourceARN: 'arn:aws:sqs:eu-west-1:000000000000:bundle-fanout',
            awsRegion: 'eu-west-1',
          },
        ],
      }
      const { stdout } = await run(
        process.execPath,
        [`${root}/test/fixtures/driveFanOut.mjs`, `${root}/dist/lambda/worker.mjs`, JSON.stringify(event)],
        {
          cwd: root,
          env: lambdaEnv({
            // fauxqs names its queues on `sqs.<region>.localhost`: the driver resolves those
            // names to 127.0.0.1 (fauxqs' interceptLocalhostDns) before loading the bundle.
            CHATDB_FANOUT_QUEUE_URL: QueueUrl as string,
            // One attempt per post and few retry rounds: the failing post goes to the queue fast.
            CHATDB_MANAGEMENT_MAX_ATTEMPTS: '1',
          }),
        },
      )
      expect(JSON.parse(stdout.trim().split('\n').at(-1) as string)).toEqual({ batchItemFailures: [] })
      for (const id of members.filter((id) => id !== 'bundle-9=')) {
        expect(
          fake.framesFor(id).filter((f) => f.type === 'newMessage'),
          id,
        ).toHaveLength(1)
      }
      const { Messages = [] } = await client.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      )
      expect(Messages.map((m) => JSON.parse(m.Body as string))).toEqual([
        { v: 1, kind: 'retry', roomName: 'bundled', frame, attempt: 1, connectionIds: ['bundle-9='] },
      ])
    } finally {
      client.destroy()
      await sqs.stop()
    }
  })
})
