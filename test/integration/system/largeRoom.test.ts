import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createQueuePublisher } from '../../../src/fanout/queuePublisher.js'
import { createFanOutWorker } from '../../../src/fanout/worker.js'
import { BASE_SUBSCRIPTION_SHARD, subscriptionShardOf } from '../../../src/keys.js'
import { createBroadcaster } from '../../../src/lambda/broadcaster.js'
import { createMemoryQueue, type MemoryQueue } from '../../../src/queue/memoryQueue.js'
import { type QueuePoller, startQueuePoller } from '../../../src/queue/queuePoller.js'
import type { ChatRepository } from '../../../src/repository/chatRepository.js'
import { type ChatService, createChatService } from '../../../src/service/chatService.js'
import type { ServiceLogger } from '../../../src/service/types.js'
import { mapWithConcurrency, sleep } from '../../../src/util/concurrency.js'
import { type ConnectionsFake, startConnectionsFake } from '../../support/connectionsFake.js'
import { useTestTable } from '../../support/dynamo.js'
import { queueTime } from '../../support/queueTime.js'
import { atScale } from '../../support/scale.js'
import { prng } from '../../support/scan.js'

const t = useTestTable()
const silent: ServiceLogger = { error: () => {}, warn: () => {} }

const ROOM = 'town-hall'
const THRESHOLD = 60
const SHARDS = 8
// 3,000 members under `npm run test:scale`; 600 in `npm test` (the crossing at 60 and the shards
// the same, each shard still holding dozens of members).
const MEMBERS = atScale(3_000, 600)
/** Members spread over the room (the full size's picks, scaled): 20 gone, 5 senders. */
const spread = (i: number) => Math.round((i * MEMBERS) / 3_000)
const member = (i: number) => `m${String(i).padStart(4, '0')}=`

/** Until `condition` holds; `idle` (after a timer: test/support/queueTime.ts) may move time on. */
async function until(condition: () => boolean, idle: () => void, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await sleep(20)
    idle()
  }
}

/**
 * The whole path of a large room on real parts: the chat service over the test engine, the in-process
 * queue with SQS's semantics, the fan-out worker on its poller, and a real HTTP `@connections`
 * endpoint (throttling 10% of posts). One in ten of the worker's shard reads fails (its job comes
 * back after the visibility timeout), and one invocation is killed in the middle of its batch.
 */
describe('a large room through the protocol', () => {
  let fake: ConnectionsFake
  let client: ApiGatewayManagementApiClient
  let routeClient: ApiGatewayManagementApiClient
  let queue: MemoryQueue
  let deadLetters: MemoryQueue
  let poller: QueuePoller
  let repository: ChatRepository
  let service: ChatService
  const failedReads = { count: 0 }
  const killed = { count: 0 }
  // Virtual time for the queue: the jobs of a failed read or of the killed invocation come back
  // once the poller is idle, without waiting their visibility timeout out.
  const time = queueTime()
  const VISIBILITY_TIMEOUT_MS = 3_000

  beforeAll(async () => {
    fake = await startConnectionsFake({ faults: { rate: 0.1, seed: 5 } })
    // The worker's client makes one attempt per post (its own retry rounds are under test); the
    // routes' replies go through a client that retries, as the router's does (3 attempts), so a
    // throttled `subscribed` reply is sent again, not lost.
    const clientOf = (maxAttempts: number) =>
      new ApiGatewayManagementApiClient({
        endpoint: fake.endpoint,
        region: 'local',
        maxAttempts,
        credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      })
    client = clientOf(1)
    routeClient = clientOf(3)
    repository = t.repository({ largeRoomThreshold: THRESHOLD, largeRoomShards: SHARDS })
    let created: ChatService | undefined
    const onGone = async (connectionId: string) => created?.removeGone(connectionId)
    const broadcaster = createBroadcaster({ client, logger: silent, onGone })
    const routeBroadcaster = createBroadcaster({ client: routeClient, logger: silent, onGone })
    deadLetters = createMemoryQueue({ name: 'fanout-dlq', clock: time.clock })
    queue = createMemoryQueue({
      name: 'fanout',
      clock: time.clock,
      // Longer than a shard's job takes on a busy machine: a job still being worked that came
      // back would be received too often and go dead, as on SQS.
      visibilityTimeoutMs: VISIBILITY_TIMEOUT_MS,
      maxReceiveCount: 10,
      deadLetterQueue: deadLetters,
    })
    const random = prng(9)
    const worker = createFanOutWorker({
      broadcaster,
      queue,
      logger: silent,
      wait: async () => {},
      targetsOf: async (roomName, shard) => {
        if (random.next() < 0.1) {
          failedReads.count++
          throw new Error('injected: the shard could not be read')
        }
        return repository.shardSubscribers(roomName, shard)
      },
      roomStats: repository,
    })
    // One invocation is killed mid-batch: half its jobs are done, then it dies without an
    // answer, so the whole batch comes back after the visibility timeout (as a Lambda's would).
    let invocations = 0
    poller = startQueuePoller({
      queue,
      waitTimeMs: 20,
      onError: () => {},
      handler: time.counted(async (event) => {
        if (++invocations === 3) {
          await worker.handler({ Records: event.Records.slice(0, Math.ceil(event.Records.length / 2)) })
          killed.count++
          throw new Error('injected: worker killed mid-batch')
        }
        return worker.handler(event)
      }),
    })
    service = createChatService({
      repository,
      broadcaster: routeBroadcaster,
      logger: silent,
      publisher: createQueuePublisher({ queue }),
      roomStatsIntervalMs: 10_000,
    })
    created = service
  })

  afterAll(async () => {
    await poller.stop()
    client.destroy()
    routeClient.destroy()
    await fake.close()
  })

  // A request id and its time, as API Gateway gives them (the same again when it retries).
  const send = (connectionId: string, body: object, requestId?: string) =>
    service.receive(
      {
        connectionId,
        ...(requestId ? { requestId, requestTimeEpoch: 1_800_000_000_000 + requestId.length } : {}),
      },
      JSON.stringify(body),
    )

  it('grows across the threshold, delivers every message to every member, stores each once', async () => {
    // Grows from nothing, 24 joins at a time.
    const outcomes = await mapWithConcurrency(
      Array.from({ length: MEMBERS }, (_, i) => i),
      24,
      (i) => send(member(i), { action: 'subscribe', roomName: ROOM, userName: `user${i % 400}` }),
    )
    expect(outcomes.filter((o) => o.statusCode !== 200)).toEqual([])
    expect(await repository.largeRoomShards(ROOM)).toBe(SHARDS)
    // The last joiners were told the count and a sample, never the whole room.
    const lastState = fake.framesFor(member(MEMBERS - 1)).find((f) => f.type === 'subscribed')
    expect(lastState).toMatchObject({ type: 'subscribed', roomName: ROOM })
    if (lastState?.type !== 'subscribed') throw new Error('no state')
    expect(lastState.subscriberCount).toBeGreaterThan(MEMBERS - 50)
    expect(lastState.users.length).toBeLessThanOrEqual(100)
    // Members who joined while the room was small still heard of joins then; nobody is told of
    // a join after the crossing.
    const announcedLate = fake
      .framesFor(member(0))
      .filter((f) => f.type === 'userSubscribed' && Number(f.userName.slice(4)) >= THRESHOLD + 16)
    expect(announcedLate).toEqual([])

    // 20 connections went away without a $disconnect: the broadcast finds them gone (410).
    const gone = Array.from({ length: 20 }, (_, i) => member(spread(37 + i * 71)))
    fake.markGone(...gone)
    const senders = [
      member(3),
      member(THRESHOLD + 100),
      member(spread(700)),
      member(spread(1_900)),
      member(MEMBERS - 1),
    ]
    const sent: string[] = []
    for (let round = 0; round < 2; round++) {
      for (const [s, sender] of senders.entries()) {
        const requestId = `req-${round}-${s}`
        const outcome = await send(
          sender,
          { action: 'sendMessage', roomName: ROOM, message: `m ${round} ${s}` },
          requestId,
        )
        expect(outcome.statusCode).toBe(200)
        sent.push(requestId)
      }
    }
    // API Gateway retries one request: the message is stored once and fanned out again.
    expect(
      (
        await send(
          senders[0] as string,
          { action: 'sendMessage', roomName: ROOM, message: 'm 0 0' },
          'req-0-0',
        )
      ).statusCode,
    ).toBe(200)
    await until(
      () => queue.stats().visible + queue.stats().inFlight === 0,
      () => time.skipIdle(queue, VISIBILITY_TIMEOUT_MS),
      120_000,
    )

    const stored = await repository.recentMessages(ROOM, { limit: 100 })
    expect(stored).toHaveLength(sent.length)
    const ids = new Set(stored.map((m) => m.id))
    expect(ids.size).toBe(sent.length)
    for (let i = 0; i < MEMBERS; i++) {
      const id = member(i)
      if (gone.includes(id)) continue
      const got = new Set(fake.framesFor(id).flatMap((f) => (f.type === 'newMessage' ? [f.message.id] : [])))
      expect(got.size, id).toBe(ids.size)
    }
    expect(failedReads.count).toBeGreaterThan(0)
    expect(killed.count).toBe(1)
    expect(fake.faultsInjected()).toBeGreaterThan(0)
    expect(deadLetters.bodies().map((body) => JSON.parse(body))).toEqual([])

    // The gone connections were removed from their partitions and counted out.
    const exact = await repository.largeRoomSnapshot(ROOM)
    const members = new Set(exact?.subscribers.map((s) => s.connectionId))
    for (const id of gone) expect(members.has(id), id).toBe(false)
    expect(members.size).toBe(MEMBERS - gone.length)
    const partitionOf = (i: number) =>
      i < THRESHOLD ? BASE_SUBSCRIPTION_SHARD : subscriptionShardOf(member(i), SHARDS)
    expect(exact?.partitions.find((p) => p.shard === partitionOf(MEMBERS - 1))?.subscribers).toBeGreaterThan(
      0,
    )
    // The count: approximate, and never high (subscribes that crossed the threshold with the
    // marking may go uncounted); an exact read sets it right.
    const counted = (await repository.subscriberCounts(ROOM))?.total ?? 0
    expect(counted).toBeLessThanOrEqual(MEMBERS - gone.length)
    expect(counted).toBeGreaterThanOrEqual(MEMBERS - gone.length - 24)
    await repository.largeRoomSnapshot(ROOM, { repair: true })
    expect((await repository.subscriberCounts(ROOM))?.total).toBe(MEMBERS - gone.length)
    // The room is listed, and members heard its count.
    expect((await repository.activeRooms()).map((r) => r.roomName)).toContain(ROOM)
    expect(fake.framesFor(member(5)).some((f) => f.type === 'roomStats' && f.roomName === ROOM)).toBe(true)
  }, 240_000)

  it('tells a stranger it is not subscribed, and unlists the room when everyone has left', async () => {
    expect(
      (await send('stranger=', { action: 'sendMessage', roomName: ROOM, message: 'x' })).statusCode,
    ).toBe(400)
    const exact = await repository.largeRoomSnapshot(ROOM)
    const left = exact?.subscribers.map((s) => s.connectionId) ?? []
    await mapWithConcurrency(left, 16, async (connectionId, i) =>
      i % 2 === 0
        ? send(connectionId, { action: 'unsubscribe', roomName: ROOM })
        : service.disconnect({ connectionId }),
    )
    expect((await repository.activeRooms()).map((r) => r.roomName)).not.toContain(ROOM)
    expect((await repository.largeRoomSnapshot(ROOM))?.subscribers).toEqual([])
  }, 120_000)
})
