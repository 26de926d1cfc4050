import { AsyncLocalStorage } from 'node:async_hooks'
import { GetCommand } from '@aws-sdk/lib-dynamodb'
import { BatchPutRequest } from 'dynamodb-toolbox/entity/actions/batchPut'
import { DEFAULT_LARGE_ROOM_THRESHOLD } from '../../src/config/settings.js'
import { createQueuePublisher } from '../../src/fanout/queuePublisher.js'
import { createFanOutWorker } from '../../src/fanout/worker.js'
import { shardSubscriptionKey, subscriptionKey, subscriptionShardOf } from '../../src/keys.js'
import { toSqsRecord } from '../../src/queue/queuePoller.js'
import type { QueuePort } from '../../src/queue/types.js'
import { writeInBatches } from '../../src/repository/batchWrite.js'
import { createChatRepository } from '../../src/repository/chatRepository.js'
import { createTableStore } from '../../src/repository/tableStore.js'
import { createChatService } from '../../src/service/chatService.js'
import type { Broadcaster } from '../../src/service/types.js'
import { mapWithConcurrency } from '../../src/util/concurrency.js'
import { itemSize } from '../capacity.js'
import type { BenchEnvironment } from '../env.js'
import { seedLargeRoom } from '../largeRoomSeed.js'
import {
  busiestWindow,
  type ClassLoad,
  classLoads,
  createScaling,
  type LoadEvent,
  type LoadTag,
  targetBusiestSecond,
} from '../partitionModel.js'
import { ASSUMPTIONS, buildWorkload, TARGET, type Workload } from '../partitionWorkload.js'
import type { Check, Section } from '../report.js'
import { recordRequests } from '../requestRecorder.js'

/** DynamoDB's per-partition-key limits (bp-partition-key-design.html), for the table and each GSI key. */
const KEY_LIMIT = { rcu: 3_000, wcu: 1_000 }
/** API Gateway's account-wide request quota, which every PostToConnection counts against. */
const POST_QUOTA = 10_000
const CONCURRENCY = 8
const POST_SOURCES = [
  'hot room: newMessage',
  'hot room: presence',
  'hot room: roomStats',
  'other rooms: newMessage',
  'other rooms: presence',
  'replies to the caller',
] as const
type PostSource = (typeof POST_SOURCES)[number]
const silent = { error: () => {}, warn: () => {} }

export interface PartitionLoadSize {
  /** The run is the target divided by this. */
  scale: number
  /** Virtual seconds of traffic. */
  seconds: number
  bigRoomMessagesPerSecond: number
  /**
   * `large`: the hot room in the large-room layout (S shard partitions, broadcasts as fan-out
   * jobs read by the worker), as a deployment with the default `largeRoomThreshold` has it.
   * `small`: the hot room kept in one partition (the layout before Scale II), for comparison.
   */
  hotRoom: 'large' | 'small'
  /** S of the large hot room (default 64, the library's default). */
  shards?: number
}

/**
 * The steady state before the run: every room through `subscribe`, the rest of its members in
 * batches; a large hot room through `seedLargeRoom` (marked large, then its shards written).
 */
async function seed(env: BenchEnvironment, tableName: string, workload: Workload, size: PartitionLoadSize) {
  const documentClient = env.newClient()
  const repository = createChatRepository({
    documentClient,
    tableName,
    maxSubscribersPerRoom: 1_000_000,
    // The small layout stays small: its hot room is past the default threshold from the start.
    ...(size.hotRoom === 'small' ? { largeRoomThreshold: Number.POSITIVE_INFINITY } : {}),
  })
  const { Subscription } = createTableStore({ documentClient, tableName }).entities
  const { members, bigRoom } = workload.population
  let { rooms } = workload.population
  if (size.hotRoom === 'large') {
    // Marked large at the default threshold scaled down as the room is, so that its base
    // partition (the members from before) is the target's scaled down too: 1,000 of 100,000.
    const bigRatio = TARGET.bigRoomSubscribers / workload.bigRoomSubscribers
    await seedLargeRoom(documentClient, tableName, {
      roomName: bigRoom,
      members: members.get(bigRoom) ?? [],
      shards: size.shards ?? 64,
      threshold: Math.max(1, Math.round(DEFAULT_LARGE_ROOM_THRESHOLD / bigRatio)),
    })
    rooms = rooms.filter((roomName) => roomName !== bigRoom)
  }
  await mapWithConcurrency(rooms, CONCURRENCY, async (roomName) => {
    const first = members.get(roomName)?.[0]
    if (first) await repository.subscribe({ roomName, ...first })
  })
  const rest = rooms.flatMap((roomName) =>
    (members.get(roomName) ?? [])
      .slice(1)
      .map(({ connectionId, userName }) =>
        Subscription.build(BatchPutRequest)
          .item({ roomName, connectionId, userName, subscribedAt: 1 })
          .params(),
      ),
  )
  await writeInBatches(documentClient, tableName, rest, { concurrency: CONCURRENCY })
  documentClient.destroy()
}

/** The size DynamoDB charges for one of the hot room's subscriptions, as seeded (bytes). */
async function subscriptionItemBytes(
  env: BenchEnvironment,
  tableName: string,
  workload: Workload,
  size: PartitionLoadSize,
): Promise<number> {
  const { bigRoom, members } = workload.population
  const member = members.get(bigRoom)?.at(-1)
  if (!member) throw new Error('the hot room has no members')
  const shards = size.shards ?? 64
  const Key =
    size.hotRoom === 'large'
      ? shardSubscriptionKey(bigRoom, member.connectionId, subscriptionShardOf(member.connectionId, shards))
      : subscriptionKey(bigRoom, member.connectionId)
  const { Item } = await env.documentClient.send(
    new GetCommand({ TableName: tableName, Key, ConsistentRead: true }),
  )
  if (!Item) throw new Error(`no subscription at ${JSON.stringify(Key)}`)
  // The item's attributes are flat strings and numbers: their wire form is enough to size them.
  return itemSize(
    Object.fromEntries(
      Object.entries(Item).map(([name, value]) => [
        name,
        typeof value === 'number' ? { N: String(value) } : { S: String(value) },
      ]),
    ),
  )
}

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(n >= 10 ? 1 : 2))

/**
 * A scaled-down day of the target deployment (docs/capacity.md) through the chat service on
 * dynalite, every DynamoDB request recorded with its partition keys and capacity and tagged with
 * its operation's virtual time; per key class, the busiest one-second window, measured and
 * extrapolated to the target.
 */
export async function partitionLoad(env: BenchEnvironment, size: PartitionLoadSize): Promise<Section> {
  const workload = buildWorkload(size.scale, size.seconds, size.bigRoomMessagesPerSecond)
  const tableName = await env.createTable('partitions')
  await seed(env, tableName, workload, size)

  const documentClient = env.newClient()
  const recorder = recordRequests<LoadTag>(documentClient)
  const current = new AsyncLocalStorage<LoadTag>()
  // Tags each request with its sort key (a single-item request) and Limit (a Query), so the
  // counters and the guard can be told apart inside their partitions and a capped read is not
  // scaled up with the partition it reads (bench/partitionModel.ts).
  documentClient.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as {
        Key?: { sk?: unknown }
        Item?: { sk?: unknown }
        Limit?: unknown
        ConsistentRead?: unknown
      }
      const sk = input.Key?.sk ?? input.Item?.sk
      const limit = input.Limit
      const tag = current.getStore()
      if (!tag) return next(args)
      return recorder.tagged(
        {
          ...tag,
          ...(typeof sk === 'string' ? { sk } : {}),
          ...(typeof limit === 'number' ? { limit } : {}),
          consistent: input.ConsistentRead === true,
        },
        () => next(args),
      )
    },
    { step: 'initialize', name: 'benchSortKeyTag' },
  )
  const scaling = createScaling(workload)
  const bigRoom = workload.population.bigRoom
  const posts: (LoadEvent & { source: PostSource })[] = []
  const broadcaster: Broadcaster = {
    async post(deliveries) {
      const tag = current.getStore()
      for (const { frame } of deliveries) {
        const roomName = 'roomName' in frame ? frame.roomName : ''
        const kind = tag?.kind ?? 'message'
        // A frame to every member: the hot room has bigRatio times more of them at the target.
        const size = roomName === bigRoom ? scaling.bigRatio : 1
        const source: PostSource =
          frame.type === 'newMessage'
            ? roomName === bigRoom
              ? 'hot room: newMessage'
              : 'other rooms: newMessage'
            : frame.type === 'userSubscribed' ||
                frame.type === 'userUnsubscribed' ||
                frame.type === 'usersUnsubscribed'
              ? roomName === bigRoom
                ? 'hot room: presence'
                : 'other rooms: presence'
              : frame.type === 'roomStats'
                ? 'hot room: roomStats'
                : 'replies to the caller'
        posts.push({ at: tag?.at ?? 0, kind, value: 1, rate: scaling.rate[kind], size, source })
      }
      return { delivered: deliveries.map((d) => d.connectionId), gone: [], failed: [] }
    },
  }
  const repository = createChatRepository({
    documentClient,
    tableName,
    maxSubscribersPerRoom: 1_000_000,
    // The small layout stays small: its hot room is past the default threshold from the start.
    ...(size.hotRoom === 'small' ? { largeRoomThreshold: Number.POSITIVE_INFINITY } : {}),
  })
  // The fan-out queue of the large hot room, delivering each job at once to the fan-out worker
  // (the library's, reading one shard per job through the recorded client) inside the
  // operation that enqueued it: its reads and posts carry that operation's virtual time. A
  // roomStats fan-out is its own kind (once per interval at any scale, bench/partitionModel.ts).
  const queue: QueuePort = {
    name: 'fanout',
    async sendBatch(sent) {
      // A trailing roomStats (a delayed job) is left out: the roomStats fan-out is modelled as
      // once per interval (above), and this queue has no later to run it at.
      const messages = sent.filter((message) => !message.delayMs)
      if (messages.length === 0) return { failed: [] }
      const records = messages.map((message, i) =>
        toSqsRecord(
          {
            messageId: `${message.id}-${i}`,
            receiptHandle: message.id,
            body: message.body,
            receiveCount: 1,
            sentAt: 0,
          },
          'arn:aws:sqs:local:000000000000:fanout',
          'local',
        ),
      )
      const tag = current.getStore() ?? { at: 0, kind: 'message' as const }
      const stats = messages.some(
        (m) => (JSON.parse(m.body) as { frame: { type: string } }).frame.type === 'roomStats',
      )
      const jobTag: LoadTag = stats ? { at: tag.at, kind: 'roomStats' } : tag
      const { batchItemFailures } = await current.run(jobTag, () =>
        recorder.tagged(jobTag, () => worker.handler({ Records: records })),
      )
      if (batchItemFailures.length > 0) throw new Error(`${batchItemFailures.length} fan-out job(s) failed`)
      return { failed: [] }
    },
    async receive() {
      return []
    },
    async deleteBatch() {},
    async changeVisibility() {},
  }
  const worker = createFanOutWorker({
    broadcaster,
    queue,
    logger: silent,
    targetsOf: (roomName, shard) => repository.shardSubscribers(roomName, shard),
  })
  const service = createChatService({
    repository,
    broadcaster,
    logger: silent,
    publisher: createQueuePublisher({ queue }),
  })
  const start = Date.UTC(2026, 0, 1)
  const refused: Record<string, number> = {}
  const started = performance.now()
  try {
    await mapWithConcurrency(workload.operations, CONCURRENCY, (operation, i) => {
      const tag: LoadTag = { at: operation.at, kind: operation.kind }
      const request = {
        connectionId: operation.connectionId,
        requestId: `op${i}`,
        requestTimeEpoch: start + operation.at,
      }
      return current.run(tag, () =>
        recorder.tagged(tag, async () => {
          const outcome =
            operation.kind === 'disconnect'
              ? await service.disconnect(request)
              : await service.receive(request, JSON.stringify(operation.body))
          if (outcome.statusCode !== 200) refused[operation.kind] = (refused[operation.kind] ?? 0) + 1
        }),
      )
    })
  } finally {
    documentClient.destroy()
  }
  const wallSeconds = (performance.now() - started) / 1000
  const records = recorder.records()
  const scalingOptions = {
    subscriptionItemBytes: await subscriptionItemBytes(env, tableName, workload, size),
  }
  const loads = classLoads(records, workload, scalingOptions)
  // The hot room's single-item requests by sort key: its counters and its guard, inside the
  // partition rows above (the per-key limit is per partition key; these say what share is theirs).
  const hotClasses = new Set(["hot room's subscription partition", "hot room's shard partitions"])
  const itemLoads = (['#count', '#room'] as const).flatMap((sk) =>
    classLoads(
      records.filter((record) => record.tag?.sk === sk),
      workload,
      scalingOptions,
    )
      .filter((load) => hotClasses.has(load.keyClass) && (load.measured.rcu > 0 || load.measured.wcu > 0))
      .map((load) => ({ ...load, sk })),
  )
  const postLoads = [...POST_SOURCES, 'all' as const].map((source) => {
    const mine = posts.filter((p) => source === 'all' || p.source === source)
    return { source, measured: busiestWindow(mine), target: targetBusiestSecond(mine, workload.seconds) }
  })
  return section(workload, loads, {
    postLoads,
    refused,
    wallSeconds,
    size,
    itemLoads,
    itemBytes: scalingOptions.subscriptionItemBytes,
  })
}

function scaleUpText(load: ClassLoad, run: Workload): string {
  const s = createScaling(run)
  const r = (n: number) => `×${fmt(n)}`
  switch (load.keyClass) {
    case 'Room listing partition':
      return `listRooms reads ${r(s.rate.connect)} connects ${r(s.roomsRatio)} rooms; writes ${r(s.rate.subscribe)}`
    case "hot room's subscription partition":
    case "hot room's shard partitions":
      return `reads ${r(s.bigRatio)} members (capped reads: up to their Limit) × (${r(s.rate.bigMessage)} messages, ${r(s.rate.subscribe)} churn); writes ${r(s.rate.subscribe)}`
    case "hot room's message partition":
      return `writes ${r(s.rate.bigMessage)} messages; reads ${r(s.rate.subscribe)} joins`
    case 'GSI: user name "guest"':
      return `${r(s.rate.message)} messages (guest share fixed)`
    case 'table total':
      return 'each kind × its rate, whole-partition reads × their size'
    default:
      return 'per key ×1 (more keys, each as busy)'
  }
}

function section(
  run: Workload,
  loads: ClassLoad[],
  extra: {
    postLoads: { source: PostSource | 'all'; measured: number; target: number }[]
    refused: Record<string, number>
    wallSeconds: number
    size: PartitionLoadSize
    itemLoads: (ClassLoad & { sk: string })[]
    itemBytes: number
  },
): Section {
  const large = extra.size.hotRoom === 'large'
  const checked = new Set([
    'Room listing partition',
    "hot room's subscription partition",
    "hot room's shard partitions",
    "hot room's message partition",
    'GSI: connection id',
    'GSI: user name (own)',
    'GSI: user name "guest"',
  ])
  const verdict = (load: ClassLoad) =>
    load.keyClass === 'table total'
      ? '—'
      : load.target.rcu <= KEY_LIMIT.rcu && load.target.wcu <= KEY_LIMIT.wcu
        ? 'within'
        : '**over**'
  // The small layout has no shard partitions: no row for a class nothing touched.
  const shown = loads.filter((load) => large || load.keyClass !== "hot room's shard partitions")
  const rows = shown.map((load) => [
    load.keyClass,
    load.keyClass === 'table total' ? '—' : load.keys.toLocaleString('en-US'),
    // Keys hold the table's delimiter, which would end a Markdown table cell.
    (load.target.rcu >= load.target.wcu / 3 ? load.target.rcuKey : load.target.wcuKey).replaceAll('|', '\\|'),
    fmt(load.measured.rcu),
    fmt(load.measured.wcu),
    scaleUpText(load, run),
    fmt(load.target.rcu),
    fmt(load.target.wcu),
    verdict(load),
  ])
  for (const load of extra.itemLoads) {
    rows.push([
      `… of which the ${load.sk === '#count' ? 'counters' : 'guard'} (\`${load.sk}\`, single-item requests) in the ${load.keyClass === "hot room's shard partitions" ? 'shard partitions' : 'base partition'}`,
      load.keys.toLocaleString('en-US'),
      (load.target.rcu >= load.target.wcu / 3 ? load.target.rcuKey : load.target.wcuKey).replaceAll(
        '|',
        '\\|',
      ),
      fmt(load.measured.rcu),
      fmt(load.measured.wcu),
      'as the partition',
      fmt(load.target.rcu),
      fmt(load.target.wcu),
      '(in the row above)',
    ])
  }
  for (const { source, measured, target } of extra.postLoads) {
    rows.push([
      source === 'all' ? '@connections posts (account total)' : `@connections posts: ${source}`,
      '—',
      '—',
      `${fmt(measured)} posts`,
      '—',
      source.startsWith('hot room')
        ? `×rate, ×${fmt(TARGET.bigRoomSubscribers / run.bigRoomSubscribers)} members`
        : 'each kind × its rate',
      `${fmt(target)} posts`,
      '—',
      source !== 'all' ? '—' : target <= POST_QUOTA ? 'within' : '**over**',
    ])
  }

  // The small layout is shown for comparison only: its hot room is over by design (the reason
  // for large rooms), and a default deployment makes a 100,000-member room large.
  const checks: Check[] = !large
    ? []
    : loads
        .filter(
          (load) =>
            checked.has(load.keyClass) && (load.keys > 0 || load.keyClass === 'Room listing partition'),
        )
        .map((load) => ({
          name: `partition load at target: ${load.keyClass}, busiest second ÷ per-key limit`,
          value: Math.max(load.target.rcu / KEY_LIMIT.rcu, load.target.wcu / KEY_LIMIT.wcu),
          target: 1,
          better: 'lower' as const,
        }))
  if (large) {
    checks.push({
      name: 'partition load at target: @connections posts in the busiest second (account quota)',
      value: extra.postLoads.find((p) => p.source === 'all')?.target ?? 0,
      target: POST_QUOTA,
      better: 'lower',
    })
  }
  const refused = Object.entries(extra.refused)
  checks.push({
    name: `partition load (${large ? 'large' : 'small'} hot room): operations refused during the run (senders are members)`,
    value: refused.reduce((n, [, count]) => n + count, 0),
    target: 0,
    better: 'lower',
  })
  const a = ASSUMPTIONS
  return {
    title: large
      ? `Partition load (busiest second per key class, extrapolated to the target; hot room large, S = ${extra.size.shards ?? 64})`
      : 'Partition load, hot room kept small (the layout before Scale II, for comparison; not checked)',
    description: [
      large
        ? `The hot room runs as a large room (docs/data-model.md, "Large rooms"): marked large at ${Math.max(1, Math.round(DEFAULT_LARGE_ROOM_THRESHOLD / (TARGET.bigRoomSubscribers / run.bigRoomSubscribers)))} members (the default threshold of ${fmt(DEFAULT_LARGE_ROOM_THRESHOLD)} scaled down with the room), the rest of its members in ${extra.size.shards ?? 64} shard partitions; the service has a fan-out queue that hands each job at once to the library's fan-out worker (createFanOutWorker reading one partition per job), inside the operation that enqueued it, so the worker's reads are recorded at its virtual time; a roomStats fan-out (at most once per 30 s) is its own kind, not scaled with churn. Rows "of which" split out the hot room's single-item requests on its counters and guard.`
        : 'The hot room kept in one partition, as before Scale II (a deployment that set `largeRoomThreshold` off): shown to compare, not checked.',
      `Target: ${fmt(TARGET.connections)} connections, ${fmt(TARGET.rooms)} rooms, one room of ${fmt(TARGET.bigRoomSubscribers)} subscribers, ${fmt(TARGET.messagesPerSecond)} messages/s.`,
      `Run: 1/${run.scale} of it — ${fmt(run.connections)} connections, ${fmt(run.rooms)} rooms, a hot room of ${fmt(run.bigRoomSubscribers)}, ${fmt(run.messagesPerSecond)} messages/s of which ${run.bigRoomMessagesPerSecond}/s in the hot room (${a.bigRoomMessagesPerSecond}/s at the target) —`,
      `${run.seconds} s of virtual time, ${fmt(run.operations.length)} operations through the chat service on dynalite (${CONCURRENCY} at a time, ${extra.wallSeconds.toFixed(1)} s of wall time), every request recorded with its partition keys and capacity (bench/requestRecorder.ts).`,
      `Assumptions: ${a.subscriptionsPerConnection} rooms per connection, reconnect every ${a.connectionLifetimeSeconds / 60} min (each with ${a.listRoomsPerConnect} listRooms and ${a.subscriptionsPerConnection} subscribes), ${a.roomHopsPerConnectionHour} room hops per connection-hour, ${a.newRoomShare * 100}% of subscribes open a new room, ${a.guestShare * 100}% of connections named "guest".`,
      `A read of a hot-room partition is priced at the target from its items (× the size ratio × ${extra.itemBytes} bytes a subscription, rounded up to 4 KB once), and a read with a Limit stops at it.`,
      'Measured: the busiest key of the class in its busiest 1-s window of virtual time (consistent reads cost 1 RCU per 4 KB, eventually consistent GSI reads half; writes 1 WCU per KB, again on the GSI key). Target: per operation kind, the busiest window holding a target-second of operations (rate-ratio seconds long, capped at the run) per second, times the rate ratio and, for whole-partition reads, the size ratio (bench/partitionModel.ts); kinds added.',
      `Per-key limit ${fmt(KEY_LIMIT.rcu)} RCU / ${fmt(KEY_LIMIT.wcu)} WCU per second; posts against the ${fmt(POST_QUOTA)} requests/s account quota, which 10 messages/s to 100,000 members exceed 100 times over whatever the data layer does (docs/capacity.md, "The wall").`,
    ].join(' '),
    header: [
      'key class',
      'keys touched',
      'busiest key (target)',
      'measured RCU/s',
      'measured WCU/s',
      'scale-up',
      'target RCU/s',
      'target WCU/s',
      'per-key limit',
    ],
    rows,
    checks,
  }
}
