import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { BatchPutRequest } from 'dynamodb-toolbox/entity/actions/batchPut'
import { createDocumentClient } from '../../src/client.js'
import { writeInBatches } from '../../src/repository/batchWrite.js'
import { createChatRepository } from '../../src/repository/chatRepository.js'
import { createTableStore } from '../../src/repository/tableStore.js'
import { createChatService } from '../../src/service/chatService.js'
import type { Broadcaster, RouteOutcome } from '../../src/service/types.js'
import { mapWithConcurrency } from '../../src/util/concurrency.js'
import { countRequests } from '../../src/util/requestCounter.js'
import type { BenchEnvironment } from '../env.js'
import type { Check, Section } from '../report.js'

/** $disconnect invocations in flight at once: a deploy drops connections faster than this. */
const IN_FLIGHT = 200
const COALESCE_FROM = 100
const WINDOW_MS = 250

interface StormResult {
  leavers: number
  /** $disconnects that answered 500 (a room not read or settled: its news lost). */
  failed: number
  /** What they failed with: the logged error's code (or name, or message), by count. */
  causes: Map<string, number>
  requests: number
  /** Consistent Queries of the room partition without a Limit: reads of the whole room. */
  fullReads: number
  /** Read capacity of the room partition's Queries, as dynalite computes DynamoDB's (1 RCU per 4 KB, consistent). */
  roomRcu: number
  posts: number
  presenceFrames: number
  ms: number
  listedAfter: boolean
  subscribersAfter: number
}

/**
 * Counts the room reads and their consumed capacity: asks every Query for
 * `ReturnConsumedCapacity: TOTAL` (dynalite computes it from item sizes as DynamoDB does).
 */
function meterRoomReads(documentClient: DynamoDBDocumentClient) {
  const totals = { fullReads: 0, rcu: 0 }
  documentClient.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as {
        ConsistentRead?: boolean
        Limit?: number
        ReturnConsumedCapacity?: string
      }
      const roomRead = input.ConsistentRead === true
      if (roomRead) input.ReturnConsumedCapacity = 'TOTAL'
      const result = await next(args)
      if (roomRead) {
        if (input.Limit === undefined) totals.fullReads++
        const consumed = (result.output as { ConsumedCapacity?: { CapacityUnits?: number } }).ConsumedCapacity
        totals.rcu += consumed?.CapacityUnits ?? 0
      }
      return result
    },
    { step: 'initialize', name: 'benchRoomReads', override: true },
  )
  return {
    take: () => {
      const taken = { ...totals }
      totals.fullReads = 0
      totals.rcu = 0
      return taken
    },
  }
}

/**
 * One storm: a room of `size` subscribers, the first `leavers` of them disconnecting at once
 * (`IN_FLIGHT` $disconnects in flight), through the chat service as the Lambda runs it, with a
 * broadcaster that counts posts instead of sending them (50 M posts would measure the sink).
 */
async function storm(
  env: BenchEnvironment,
  size: number,
  leavers: number,
  coalesceFrom: number,
): Promise<StormResult> {
  // dynalite is one process on a shared core: a whole-room read of 10,000 items with 200 others
  // in flight can take longer than the default timeout, which would fail the "before" storm for
  // a reason DynamoDB does not have. Generous here; failures are still counted.
  const documentClient = createDocumentClient({
    endpoint: env.endpoint,
    region: 'local',
    requestTimeoutMs: 600_000,
  })
  const requests = countRequests(documentClient)
  const reads = meterRoomReads(documentClient)
  const tableName = await env.createTable('storm', documentClient)
  const repository = createChatRepository({
    documentClient,
    tableName,
    coalesceFrom,
    coalesceWindowMs: WINDOW_MS,
    batchWrite: { baseDelayMs: 5 },
  })
  const { Subscription } = createTableStore({ documentClient, tableName }).entities
  const roomName = 'storm'
  const id = (i: number) => `storm-${String(i).padStart(6, '0')}=`
  // One real subscribe creates and lists the room; the rest are written in bulk.
  await repository.subscribe({ roomName, connectionId: id(0), userName: 'user-0' })
  await writeInBatches(
    documentClient,
    tableName,
    Array.from({ length: size - 1 }, (_, i) =>
      Subscription.build(BatchPutRequest)
        .item({ roomName, connectionId: id(i + 1), userName: `user-${i + 1}`, subscribedAt: 1 })
        .params(),
    ),
    { concurrency: 8 },
  )
  let posts = 0
  let presenceFrames = 0
  const broadcaster: Broadcaster = {
    async post(deliveries) {
      posts += deliveries.length
      presenceFrames += new Set(deliveries.map((d) => d.frame)).size
      return { delivered: [], gone: [], failed: [] }
    },
  }
  const causes = new Map<string, number>()
  const logger = {
    error: (_event: string, details: Record<string, unknown>) => {
      const error = (details.error ?? {}) as { code?: string; name?: string; cause?: { message?: string } }
      const cause = [error.code ?? error.name, error.cause?.message].filter(Boolean).join(': ')
      causes.set(cause, (causes.get(cause) ?? 0) + 1)
    },
    warn: () => {},
  }
  const service = createChatService({ repository, broadcaster, logger })
  requests.reset()
  reads.take()
  // The leavers are spread over the room's sort order, as a deploy's are.
  const order = Array.from({ length: size }, (_, i) => i).sort(
    (a, b) => ((a * 7919) % size) - ((b * 7919) % size),
  )
  const started = performance.now()
  const outcomes = await mapWithConcurrency(order.slice(0, leavers), IN_FLIGHT, (i: number) =>
    service.disconnect({ connectionId: id(i) }),
  )
  const ms = performance.now() - started
  const { fullReads, rcu } = reads.take()
  const total = requests.total()
  const after = await repository.roomSnapshot(roomName)
  documentClient.destroy()
  return {
    leavers,
    failed: outcomes.filter((o: RouteOutcome) => o.statusCode !== 200).length,
    causes,
    requests: total,
    fullReads,
    roomRcu: rcu,
    posts,
    presenceFrames,
    ms,
    listedAfter: after.state?.listed === true,
    subscribersAfter: after.subscribers.length,
  }
}

const per = (value: number, count: number) => (value / count).toFixed(value / count < 10 ? 2 : 0)

/**
 * `$disconnect` storms: a room of `size` subscribers losing its connections within seconds.
 * "before" reads every room in full per leaver and posts a leave frame per leaver to everyone
 * left (`coalesceFrom: Infinity`); "after" coalesces departures of a room over `coalesceFrom`
 * subscribers through its presence outbox (docs/data-model.md). Before is measured on the first
 * `sample` leavers only (its cost is quadratic: each reads the whole remaining room, so the first
 * leavers show it per disconnect); after is measured on the same sample and on the whole room.
 */
export async function disconnectStorm(env: BenchEnvironment, size: number, sample: number): Promise<Section> {
  const before = await storm(env, size, sample, Number.POSITIVE_INFINITY)
  const afterSample = await storm(env, size, sample, COALESCE_FROM)
  const afterAll = await storm(env, size, size, COALESCE_FROM)
  const row = (name: string, r: StormResult) => [
    name,
    `${r.leavers.toLocaleString('en-US')} of ${size.toLocaleString('en-US')}`,
    per(r.requests, r.leavers),
    String(r.fullReads),
    per(r.roomRcu, r.leavers),
    per(r.posts, r.leavers),
    String(r.presenceFrames),
    `${(r.ms / 1000).toFixed(1)} s`,
    r.failed === 0 ? '0' : `${r.failed} (${[...r.causes].map(([cause, n]) => `${n}× ${cause}`).join('; ')})`,
    `${r.subscribersAfter.toLocaleString('en-US')}, ${r.listedAfter ? 'listed' : 'unlisted'}`,
  ]
  const checks: Check[] = [
    {
      name: `disconnect storm (${size} leave): whole-room reads per leaver`,
      value: afterAll.fullReads / afterAll.leavers,
      target: 0.05,
      better: 'lower',
    },
    {
      name: `disconnect storm (${sample} of ${size}): posts per disconnect, after ÷ before`,
      value: afterSample.posts / afterSample.leavers / (before.posts / before.leavers),
      target: 0.1,
      better: 'lower',
    },
    {
      name: `disconnect storm (${sample} of ${size}): room RCU per disconnect, after ÷ before`,
      // A leaver's capped page (~coalesceFrom items, ~3.5 RCU) costs the same in any big room;
      // before, a leaver pays ~35 RCU per 1,000 subscribers: the ratio shrinks as rooms grow.
      value: afterSample.roomRcu / afterSample.leavers / (before.roomRcu / before.leavers),
      target: 0.2,
      better: 'lower',
    },
    {
      name: `disconnect storm: failed $disconnects (after, ${sample} of ${size} and ${size} of ${size})`,
      value: afterSample.failed + afterAll.failed,
      target: 0,
      better: 'lower',
    },
    {
      // Listed iff subscribers once the storm settles: the whole room left, so unlisted.
      name: `disconnect storm (${size} leave): rooms left listed with no subscriber`,
      value: afterAll.listedAfter || afterAll.subscribersAfter > 0 ? 1 : 0,
      target: 0,
      better: 'lower',
    },
  ]
  return {
    title: '$disconnect storm',
    description: [
      `A room of ${size.toLocaleString('en-US')} subscribers whose connections disconnect at once (${IN_FLIGHT} $disconnects in flight), run through the chat service; posts are counted, not sent.`,
      `"before": \`coalesceFrom: Infinity\` (each leaver reads the room in full and tells everyone left); "after": \`coalesceFrom: ${COALESCE_FROM}\`, window ${WINDOW_MS} ms (one holder per burst reads and settles the room and posts one \`usersUnsubscribed\`).`,
      'Before costs grow with the room left (a whole storm: n(n+1)/2 subscriber reads and posts), so it runs on the first leavers only; after runs on that sample and on the whole room.',
      'A room read can take more than one request: DynamoDB (and dynalite) pages at 1 MB, about 7,000 subscriptions.',
      'Room RCU: the consistent Queries of the room partition, as dynalite computes DynamoDB read capacity (`ReturnConsumedCapacity`). Whole-room reads: those Queries without a Limit (pages of them).',
    ].join(' '),
    header: [
      'variant',
      'leavers',
      'requests / disconnect',
      'whole-room reads',
      'room RCU / disconnect',
      'posts / disconnect',
      'presence frames',
      'total time',
      'failed',
      'room after',
    ],
    rows: [row('before', before), row('after', afterSample), row('after, whole room', afterAll)],
    checks,
  }
}
