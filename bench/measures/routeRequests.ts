import { createQueuePublisher } from '../../src/fanout/queuePublisher.js'
import { createFanOutWorker } from '../../src/fanout/worker.js'
import { createRouter } from '../../src/lambda/createRouter.js'
import { createMemoryQueue } from '../../src/queue/memoryQueue.js'
import { toSqsRecord } from '../../src/queue/queuePoller.js'
import { createChatRepository } from '../../src/repository/chatRepository.js'
import { createChatService } from '../../src/service/chatService.js'
import type { Broadcaster } from '../../src/service/types.js'
import { startConnectionsSink } from '../connectionsSink.js'
import type { BenchEnvironment } from '../env.js'
import { websocketEvent } from '../events.js'
import { seedLargeRoom } from '../largeRoomSeed.js'
import type { Section } from '../report.js'

const silent = { error: () => {}, warn: () => {} }

/** The request budget per route (docs/protocol.md), and what each route sends on the wire. */
export async function routeRequests(env: BenchEnvironment): Promise<Section> {
  const sink = await startConnectionsSink()
  const tableName = await env.createTable('routes')
  const router = createRouter({
    documentClient: env.documentClient,
    tableName,
    managementEndpoint: sink.endpoint,
    managementCredentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    region: 'local',
    logger: silent,
  })
  const { counter } = env
  const rows: string[][] = []
  const checks: Section['checks'] = []
  const measure = async (label: string, budget: number, run: () => Promise<unknown>) => {
    counter.reset()
    await run()
    const counts = counter.counts()
    const total = counter.total()
    rows.push([
      label,
      String(total),
      String(budget),
      Object.entries(counts)
        .map(([op, n]) => `${op} ${n}`)
        .join(', '),
    ])
    checks.push({ name: `requests: ${label}`, value: total, target: budget, better: 'lower' })
  }
  const send = (routeKey: string, connectionId: string, body?: Record<string, unknown>) =>
    router.handler(websocketEvent(routeKey, connectionId, body))

  try {
    await measure('$connect', 0, () => send('$connect', 'a'))
    await measure('subscribe, new room (created)', 4 + 4, () =>
      send('subscribe', 'a', { action: 'subscribe', roomName: 'lobby', userName: 'ada' }),
    )
    await measure('subscribe, active room', 4, () =>
      send('subscribe', 'b', { action: 'subscribe', roomName: 'lobby', userName: 'bob' }),
    )
    await measure('subscribe again (idempotent)', 4, () =>
      send('subscribe', 'b', { action: 'subscribe', roomName: 'lobby', userName: 'bob' }),
    )
    await measure('sendMessage', 2, () =>
      send('sendMessage', 'a', { action: 'sendMessage', roomName: 'lobby', message: 'hi' }),
    )
    await measure('sendMessage, not subscribed (400)', 2, () =>
      send('sendMessage', 'z', { action: 'sendMessage', roomName: 'lobby', message: 'hi' }),
    )
    await measure('listRooms', 1, () => send('listRooms', 'a', { action: 'listRooms' }))
    await measure('unsubscribe, others remain', 2, () =>
      send('unsubscribe', 'b', { action: 'unsubscribe', roomName: 'lobby' }),
    )
    await measure('unsubscribe, room empties', 2 + 4, () =>
      send('unsubscribe', 'a', { action: 'unsubscribe', roomName: 'lobby' }),
    )
    await measure('subscribe, room reactivated', 4 + 4, () =>
      send('subscribe', 'a', { action: 'subscribe', roomName: 'lobby', userName: 'ada' }),
    )
    await measure('bad frame (400)', 0, () =>
      send('$default', 'a', { action: 'subscribe', roomName: 'a|b', userName: 'x' }),
    )
    for (let i = 0; i < 30; i++) {
      await send('subscribe', 'c', { action: 'subscribe', roomName: `room-${i}`, userName: 'cy' })
      await send('subscribe', `d${i}`, { action: 'subscribe', roomName: `room-${i}`, userName: 'di' })
    }
    // 1 GSI query + ceil(30/25) batches + one Query per room; no room empties.
    await measure('$disconnect with 30 subscriptions', 1 + 2 + 30, () => send('$disconnect', 'c'))
  } finally {
    router.close()
    await sink.close()
  }
  await largeRoomRequests(env, rows, checks)
  return {
    title: 'DynamoDB requests per route',
    description:
      'Counted on the wire (one per attempt) while the router handles API Gateway events; the budget is the one in docs/protocol.md ' +
      '(room transitions add up to 4). Small rooms (the default below `largeRoomThreshold`) first; then a large room (S = 64) ' +
      'through the chat service with a fan-out queue, each route counted against the table in docs/data-model.md ' +
      '("Requests in a large room"; SendMessageBatch calls to the queue counted beside the DynamoDB requests).',
    header: ['route', 'requests', 'budget', 'operations'],
    rows,
    checks,
  }
}

/** The shards of the large room measured below, and the members that make it large. */
const LARGE_SHARDS = 64
const LARGE_THRESHOLD = 20
/** Members: enough that no leaver below is near the "last leaver" path (a partition at most 8). */
const LARGE_MEMBERS = 1_000

/**
 * Requests per route in a large room (docs/data-model.md, "Requests in a large room"), through
 * the chat service with a memory fan-out queue (the router does not take one yet), in steady
 * state: the room already large, its roomStats interval already claimed (one claim and count
 * read per interval and room are not per request). Asserted against that table.
 */
async function largeRoomRequests(env: BenchEnvironment, rows: string[][], checks: Section['checks']) {
  const tableName = await env.createTable('routes-large')
  const repository = createChatRepository({
    documentClient: env.documentClient,
    tableName,
    largeRoomThreshold: LARGE_THRESHOLD,
    largeRoomShards: LARGE_SHARDS,
  })
  const queue = createMemoryQueue({ name: 'fanout' })
  let batches = 0
  const countedQueue = {
    ...queue,
    sendBatch: (messages: Parameters<typeof queue.sendBatch>[0]) => {
      batches++
      return queue.sendBatch(messages)
    },
  }
  const posted: Broadcaster = {
    async post(deliveries) {
      return { delivered: deliveries.map((d) => d.connectionId), gone: [], failed: [] }
    },
  }
  const service = createChatService({
    repository,
    broadcaster: posted,
    publisher: createQueuePublisher({ queue: countedQueue }),
    logger: silent,
    // One instant: every measure falls in the interval whose roomStats (and trailing roomStats)
    // the set-up claimed, whatever the wall clock does meanwhile.
    clock: () => Date.UTC(2026, 0, 1),
  })
  const worker = createFanOutWorker({
    broadcaster: posted,
    queue: countedQueue,
    logger: silent,
    targetsOf: (roomName, shard) => repository.shardSubscribers(roomName, shard),
    roomStats: repository,
  })
  let request = 0
  const send = async (connectionId: string, body: Record<string, unknown>) => {
    const outcome = await service.receive(
      { connectionId, requestId: `large-${request++}` },
      JSON.stringify(body),
    )
    if (outcome.statusCode !== 200)
      throw new Error(`${String(body.action)} in the large room answered ${outcome.statusCode}`)
  }
  const subscribe = (connectionId: string) =>
    send(connectionId, { action: 'subscribe', roomName: 'arena', userName: `fan-${connectionId}` })
  const { counter } = env
  const measure = async (
    label: string,
    expected: { dynamo: number; batches: number },
    run: () => Promise<unknown>,
  ) => {
    counter.reset()
    batches = 0
    await run()
    const total = counter.total()
    rows.push([
      `large room (S = ${LARGE_SHARDS}): ${label}`,
      String(total) + (expected.batches > 0 || batches > 0 ? ` + ${batches} SendMessageBatch` : ''),
      String(expected.dynamo) + (expected.batches > 0 ? ` + ${expected.batches}` : ''),
      Object.entries(counter.counts())
        .map(([op, n]) => `${op} ${n}`)
        .join(', '),
    ])
    checks.push({
      name: `requests (large room, data-model table): ${label}`,
      value: total,
      target: expected.dynamo,
      better: 'lower',
    })
    if (expected.batches > 0) {
      checks.push({
        name: `requests (large room, data-model table): ${label}, SendMessageBatch`,
        value: batches,
        target: expected.batches,
        better: 'lower',
      })
    }
  }
  // The threshold's members make the room large, the rest are written into its shards; one more
  // joins through the service and claims the interval's roomStats (its fan-out drained,
  // unmeasured), and another the interval's trailing roomStats (a delayed job, not yet visible).
  await seedLargeRoom(env.documentClient, tableName, {
    roomName: 'arena',
    members: Array.from({ length: LARGE_MEMBERS }, (_, i) => ({
      connectionId: `L${i}`,
      userName: `fan-L${i}`,
    })),
    shards: LARGE_SHARDS,
    threshold: LARGE_THRESHOLD,
  })
  await subscribe('W1')
  await subscribe('W2')
  const drain = async () => {
    for (;;) {
      const messages = await queue.receive({ maxMessages: 10 })
      if (messages.length === 0) return
      const records = messages.map((m) => toSqsRecord(m, 'arn:aws:sqs:local:000000000000:fanout', 'local'))
      await worker.handler({ Records: records })
      await queue.deleteBatch(messages.map((m) => m.receiptHandle))
    }
  }
  await drain()
  const jobs = Math.ceil((LARGE_SHARDS + 1) / 10)
  // GSI COUNT Query + GetItem (the shard counter's repairs) + PutItem + BatchGetItem + UpdateItem (count)
  // + 2 Query (sample) + Query (recent messages).
  await measure('subscribe, new member', { dynamo: 8, batches: 0 }, () => subscribe('N1'))
  // BatchGetItem (membership and name) + PutItem, then ceil((S + 1) / 10) SendMessageBatch.
  await measure('sendMessage', { dynamo: 2, batches: jobs }, () =>
    send('N1', { action: 'sendMessage', roomName: 'arena', message: 'hello, arena' }),
  )
  // One Query of one partition per job.
  const [job] = await queue.receive({ maxMessages: 1 })
  if (!job) throw new Error('sendMessage in the large room enqueued no job')
  await measure('fan-out job (one partition)', { dynamo: 1, batches: 0 }, () =>
    worker.handler({ Records: [toSqsRecord(job, 'arn:aws:sqs:local:000000000000:fanout', 'local')] }),
  )
  await queue.deleteBatch([job.receiptHandle])
  await drain()
  // UpdateItem (departure) + UpdateItem (count).
  await measure('unsubscribe, a shard member', { dynamo: 2, batches: 0 }, () =>
    send('N1', { action: 'unsubscribe', roomName: 'arena' }),
  )
  // UpdateItem (departure) twice (its shard's key, then the base one) + UpdateItem (count).
  await measure('unsubscribe, a member from before', { dynamo: 3, batches: 0 }, () =>
    send('L0', { action: 'unsubscribe', roomName: 'arena' }),
  )
  await subscribe('D1')
  await drain()
  // 1 GSI Query + 1 DeleteItem (did this call remove it?) + UpdateItem (count), the room's share of `$disconnect`.
  await measure('$disconnect, in one large room', { dynamo: 3, batches: 0 }, async () => {
    const outcome = await service.disconnect({ connectionId: 'D1', requestId: `large-${request++}` })
    if (outcome.statusCode !== 200) throw new Error(`$disconnect answered ${outcome.statusCode}`)
  })
}
