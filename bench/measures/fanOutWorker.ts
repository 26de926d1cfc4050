import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb'
import { PutItemCommand } from 'dynamodb-toolbox/entity/actions/put'
import { createEntities } from '../../src/entities/index.js'
import type { ShardJob } from '../../src/fanout/jobs.js'
import { subscriptionShardPartition } from '../../src/keys.js'
import { DEFAULT_POST_CONCURRENCY } from '../../src/lambda/broadcaster.js'
import { createFanOutHandler } from '../../src/lambda/fanOutHandler.js'
import type { ServerFrame } from '../../src/protocol/frames.js'
import { createMemoryQueue } from '../../src/queue/memoryQueue.js'
import { toSqsRecord } from '../../src/queue/queuePoller.js'
import type { SqsEvent } from '../../src/queue/sqsEvents.js'
import { createTable } from '../../src/table.js'
import { chunk, mapWithConcurrency } from '../../src/util/concurrency.js'
import type { BenchEnvironment } from '../env.js'
import { median } from '../harness.js'
import type { Section } from '../report.js'
import { startSlowConnectionsEndpoint } from '../slowConnectionsEndpoint.js'

export interface FanOutWorkerOptions {
  /** Subscribers of the large room (100,000 at the capacity model's target). */
  roomSize: number
  /** Its subscription shards (S). */
  shards: number
  /** Jobs (shards) in the measured batch: the event source's BatchSize. */
  batchSize: number
  /** How long the `@connections` endpoint takes to answer each post (ms). */
  latencyMs: number
  rounds: number
}

const silent = { error: () => {}, warn: () => {} }

/**
 * One invocation of the deployed fan-out worker (`createFanOutHandler`, as `fanOutHandler` builds
 * it) on a batch of jobs, each one shard of a large room written in the shard layout, posting to
 * an `@connections` endpoint that answers after `latencyMs` (in a child process). Counts the
 * DynamoDB requests per job (the budget: one Query per shard page) and measures the posts/s of
 * the invocation and its duration against the worker's 60 s timeout.
 */
export async function fanOutWorker(env: BenchEnvironment, options: FanOutWorkerOptions): Promise<Section> {
  const { roomSize, shards, batchSize, latencyMs, rounds } = options
  const perShard = Math.ceil(roomSize / shards)
  const documentClient = env.newClient()
  const tableName = await env.createTable('fanout', documentClient)
  const { Subscription } = createEntities(createTable({ name: tableName, documentClient }))
  const roomName = 'huge'
  const items = Array.from({ length: batchSize }, (_, shard) =>
    Array.from({ length: perShard }, (_, i) => {
      const connectionId = `S${shard}Conn${String(i).padStart(8, '0')}=`
      const { Item } = Subscription.build(PutItemCommand)
        .item({ roomName, connectionId, userName: `user${i}`, subscribedAt: 1_800_000_000_000 })
        .params()
      return { ...Item, pk: subscriptionShardPartition(roomName, shard) }
    }),
  ).flat()
  await mapWithConcurrency(chunk(items, 25), 8, (batch) =>
    documentClient.send(
      new BatchWriteCommand({
        RequestItems: { [tableName]: batch.map((Item) => ({ PutRequest: { Item } })) },
      }),
    ),
  )
  const endpoint = await startSlowConnectionsEndpoint(latencyMs)
  const queue = createMemoryQueue({ name: 'fanout' })
  const worker = createFanOutHandler({
    documentClient: env.documentClient,
    tableName,
    queue,
    managementEndpoint: endpoint.endpoint,
    region: 'local',
    managementCredentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    managementTimeoutMs: 2_000,
    logger: silent,
  })
  const frame: ServerFrame = {
    type: 'newMessage',
    roomName,
    message: { id: 'Xk4b1FZuIAMF9xA=', userName: 'ada', message: 'hello, everyone', time: 1_800_000_000_000 },
  }
  const event = (round: number): SqsEvent => ({
    Records: Array.from({ length: batchSize }, (_, shard) =>
      toSqsRecord(
        {
          messageId: `r${round}-s${shard}`,
          receiptHandle: `r${round}-s${shard}`,
          body: JSON.stringify({
            v: 1,
            kind: 'shard',
            roomName,
            shard,
            frame,
            attempt: 0,
          } satisfies ShardJob),
          receiveCount: 1,
          sentAt: 0,
        },
        'arn:aws:sqs:local:000000000000:fanout',
        'local',
      ),
    ),
  })
  const seconds: number[] = []
  const requests: number[] = []
  try {
    // A warm execution environment (sockets open, the SDK's lazy setup done), as in production.
    await worker.handler(event(-1))
    for (let round = 0; round < rounds; round++) {
      await endpoint.reset()
      env.counter.reset()
      const started = performance.now()
      const { batchItemFailures } = await worker.handler(event(round))
      seconds.push((performance.now() - started) / 1000)
      requests.push(env.counter.total())
      const { posts } = await endpoint.stats()
      if (batchItemFailures.length > 0 || posts !== perShard * batchSize || queue.stats().visible > 0) {
        throw new Error(`fan-out round ${round}: ${batchItemFailures.length} failed, ${posts} posts`)
      }
    }
  } finally {
    worker.close()
    await endpoint.close()
    documentClient.destroy()
  }
  const duration = median(seconds)
  const posts = perShard * batchSize
  const requestsPerJob = Math.max(...requests) / batchSize
  return {
    title: 'Fan-out worker (large rooms)',
    description:
      `One warm invocation of the fan-out worker's Lambda handler (\`createFanOutHandler\`, the ` +
      `defaults of \`fanOutHandler\`: ${DEFAULT_POST_CONCURRENCY} posts in flight over as many sockets) on a ` +
      `batch of ${batchSize} jobs, each one shard of a ${roomSize.toLocaleString('en-US')}-subscriber room in ` +
      `${shards} shards (${perShard.toLocaleString('en-US')} subscriptions per shard partition, written in the ` +
      `large-room layout on dynalite), posting to an \`@connections\` endpoint that answers after ${latencyMs} ms ` +
      `(median of ${rounds}). DynamoDB requests per job are counted on the wire: one consistent Query of the ` +
      `shard partition per page; the invocation's duration is held to half the worker's 60 s timeout.`,
    header: ['jobs', 'posts', 'DynamoDB requests / job', 'posts/s', 'invocation (s)'],
    rows: [
      [
        String(batchSize),
        posts.toLocaleString('en-US'),
        requestsPerJob.toFixed(2),
        Math.round(posts / duration).toLocaleString('en-US'),
        duration.toFixed(2),
      ],
    ],
    checks: [
      { name: 'fan-out: DynamoDB requests per job', value: requestsPerJob, target: 1, better: 'lower' },
      { name: 'fan-out: invocation seconds', value: duration, target: 30, better: 'lower' },
    ],
  }
}
