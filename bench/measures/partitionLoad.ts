import { AsyncLocalStorage } from 'node:async_hooks'
import { BatchPutRequest } from 'dynamodb-toolbox/entity/actions/batchPut'
import { writeInBatches } from '../../src/repository/batchWrite.js'
import { createChatRepository } from '../../src/repository/chatRepository.js'
import { createTableStore } from '../../src/repository/tableStore.js'
import { createChatService } from '../../src/service/chatService.js'
import type { Broadcaster } from '../../src/service/types.js'
import { mapWithConcurrency } from '../../src/util/concurrency.js'
import { recordRequests } from '../../src/util/requestRecorder.js'
import type { BenchEnvironment } from '../env.js'
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

/** DynamoDB's per-partition-key limits (bp-partition-key-design.html), for the table and each GSI key. */
const KEY_LIMIT = { rcu: 3_000, wcu: 1_000 }
/** API Gateway's account-wide request quota, which every PostToConnection counts against. */
const POST_QUOTA = 10_000
const CONCURRENCY = 8
const POST_SOURCES = [
  'hot room: newMessage',
  'hot room: presence',
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
}

/** The steady state before the run: every room through `subscribe`, the rest of its members in batches. */
async function seed(env: BenchEnvironment, tableName: string, workload: Workload) {
  const documentClient = env.newClient()
  const repository = createChatRepository({ documentClient, tableName, maxSubscribersPerRoom: 1_000_000 })
  const { Subscription } = createTableStore({ documentClient, tableName }).entities
  const { members, rooms } = workload.population
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
  await seed(env, tableName, workload)

  const documentClient = env.newClient()
  const recorder = recordRequests<LoadTag>(documentClient)
  const current = new AsyncLocalStorage<LoadTag>()
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
            : frame.type === 'userSubscribed' || frame.type === 'userUnsubscribed'
              ? roomName === bigRoom
                ? 'hot room: presence'
                : 'other rooms: presence'
              : 'replies to the caller'
        posts.push({ at: tag?.at ?? 0, kind, value: 1, rate: scaling.rate[kind], size, source })
      }
      return { delivered: deliveries.map((d) => d.connectionId), gone: [], failed: [] }
    },
  }
  const repository = createChatRepository({ documentClient, tableName, maxSubscribersPerRoom: 1_000_000 })
  const service = createChatService({ repository, broadcaster, logger: silent })
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
  const loads = classLoads(recorder.records(), workload)
  const postLoads = [...POST_SOURCES, 'all' as const].map((source) => {
    const mine = posts.filter((p) => source === 'all' || p.source === source)
    return { source, measured: busiestWindow(mine), target: targetBusiestSecond(mine, workload.seconds) }
  })
  return section(workload, loads, { postLoads, refused, wallSeconds })
}

function scaleUpText(load: ClassLoad, run: Workload): string {
  const s = createScaling(run)
  const r = (n: number) => `×${fmt(n)}`
  switch (load.keyClass) {
    case 'Room listing partition':
      return `listRooms reads ${r(s.rate.connect)} connects ${r(s.roomsRatio)} rooms; writes ${r(s.rate.subscribe)}`
    case "hot room's subscription partition":
      return `reads ${r(s.bigRatio)} members × (${r(s.rate.bigMessage)} messages, ${r(s.rate.subscribe)} churn); writes ${r(s.rate.subscribe)}`
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
  },
): Section {
  const checked = new Set([
    'Room listing partition',
    "hot room's subscription partition",
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
  const rows = loads.map((load) => [
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

  const checks: Check[] = loads
    .filter((load) => checked.has(load.keyClass))
    .map((load) => ({
      name: `partition load at target: ${load.keyClass}, busiest second ÷ per-key limit`,
      value: Math.max(load.target.rcu / KEY_LIMIT.rcu, load.target.wcu / KEY_LIMIT.wcu),
      target: 1,
      better: 'lower' as const,
    }))
  checks.push({
    name: 'partition load at target: @connections posts in the busiest second (account quota)',
    value: extra.postLoads.find((p) => p.source === 'all')?.target ?? 0,
    target: POST_QUOTA,
    better: 'lower',
  })
  const refused = Object.entries(extra.refused)
  checks.push({
    name: 'partition load: operations refused during the run (senders are members)',
    value: refused.reduce((n, [, count]) => n + count, 0),
    target: 0,
    better: 'lower',
  })
  const a = ASSUMPTIONS
  return {
    title: 'Partition load (busiest second per key class, extrapolated to the target)',
    description: [
      `Target: ${fmt(TARGET.connections)} connections, ${fmt(TARGET.rooms)} rooms, one room of ${fmt(TARGET.bigRoomSubscribers)} subscribers, ${fmt(TARGET.messagesPerSecond)} messages/s.`,
      `Run: 1/${run.scale} of it — ${fmt(run.connections)} connections, ${fmt(run.rooms)} rooms, a hot room of ${fmt(run.bigRoomSubscribers)}, ${fmt(run.messagesPerSecond)} messages/s of which ${run.bigRoomMessagesPerSecond}/s in the hot room (${a.bigRoomMessagesPerSecond}/s at the target) —`,
      `${run.seconds} s of virtual time, ${fmt(run.operations.length)} operations through the chat service on dynalite (${CONCURRENCY} at a time, ${extra.wallSeconds.toFixed(1)} s of wall time), every request recorded with its partition keys and capacity (src/util/requestRecorder.ts).`,
      `Assumptions: ${a.subscriptionsPerConnection} rooms per connection, reconnect every ${a.connectionLifetimeSeconds / 60} min (each with ${a.listRoomsPerConnect} listRooms and ${a.subscriptionsPerConnection} subscribes), ${a.roomHopsPerConnectionHour} room hops per connection-hour, ${a.newRoomShare * 100}% of subscribes open a new room, ${a.guestShare * 100}% of connections named "guest".`,
      'Measured: the busiest key of the class in its busiest 1-s window of virtual time (consistent reads cost 1 RCU per 4 KB, eventually consistent GSI reads half; writes 1 WCU per KB, again on the GSI key). Target: per operation kind, the busiest window holding a target-second of operations (rate-ratio seconds long, capped at the run) per second, times the rate ratio and, for whole-partition reads, the size ratio (bench/partitionModel.ts); kinds added.',
      `Per-key limit ${fmt(KEY_LIMIT.rcu)} RCU / ${fmt(KEY_LIMIT.wcu)} WCU per second; posts against the ${fmt(POST_QUOTA)} requests/s account quota. "over" is today's honest result for the classes Scale I and II redesign (docs/capacity.md).`,
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
