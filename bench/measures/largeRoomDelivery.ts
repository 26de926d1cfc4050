import { createQueuePublisher } from '../../src/fanout/queuePublisher.js'
import { createFanOutHandler } from '../../src/lambda/fanOutHandler.js'
import { createMemoryQueue } from '../../src/queue/memoryQueue.js'
import { startQueuePoller } from '../../src/queue/queuePoller.js'
import { createChatRepository } from '../../src/repository/chatRepository.js'
import { createChatService } from '../../src/service/chatService.js'
import type { Broadcaster } from '../../src/service/types.js'
import { sleep } from '../../src/util/concurrency.js'
import type { BenchEnvironment } from '../env.js'
import { median } from '../harness.js'
import { seedLargeRoom } from '../largeRoomSeed.js'
import { type PostQuota, startSlowConnectionsEndpoint } from '../slowConnectionsEndpoint.js'

export interface DeliveryCase {
  subscribers: number
  quota: PostQuota
  rounds: number
}

export interface DeliveryOptions {
  /** S of the room. */
  shards: number
  /** Worker invocations at once: one queue poller, each with its own handler (its own sockets). */
  workers: number
  /** Jobs per invocation (the event source's BatchSize). */
  batchSize: number
  latencyMs: number
  /** A broadcast that has not reached everybody after this long fails the run (ms). */
  timeoutMs: number
}

export interface DeliveryResult extends DeliveryCase {
  /** Median, from the sendMessage call to the last successful post's answer (ms). */
  completionMs: number
  /** Each round's completion (ms). */
  completions: number[]
  /** Median successful posts per second over the broadcast. */
  postsPerSecond: number
  /** Median posts answered 429 per broadcast. */
  throttled: number
  /** What the quota alone allows: (subscribers − burst) ÷ rate, plus one post's latency (ms). */
  floorMs: number
}

const silent = { error: () => {}, warn: () => {} }
/** The route's own broadcaster: a large room's sendMessage posts nothing itself (its jobs do). */
const noPosts: Broadcaster = {
  async post(deliveries) {
    if (deliveries.length > 0) throw new Error(`the route posted ${deliveries.length} frame(s) itself`)
    return { delivered: [], gone: [], failed: [] }
  },
}

/**
 * One message to every member of a large room, for real: the room on dynalite in the shard layout
 * (`seedLargeRoom`), `sendMessage` through the chat service with `fanOut` on an in-process memory
 * queue, `workers` pollers each running the deployed worker handler (`createFanOutHandler`) on
 * batches of `batchSize` jobs, posting to an `@connections` endpoint (a child process) that
 * answers after `latencyMs` and enforces the account quota as a token bucket: over it, 429
 * `LimitExceededException`, which the SDK and then the worker retry with backoff (and what is
 * left goes back to the queue as a retry job). A round ends when every member has had the
 * message (the endpoint counts distinct connections delivered); its time runs from the call to
 * the last delivery. A first, uncounted round warms the workers up.
 */
export async function measureLargeRoomDelivery(
  env: BenchEnvironment,
  testCase: DeliveryCase,
  options: DeliveryOptions,
): Promise<DeliveryResult> {
  const { subscribers, quota, rounds } = testCase
  const documentClient = env.newClient()
  const tableName = await env.createTable('large-delivery', documentClient)
  const roomName = 'huge'
  const members = Array.from({ length: subscribers }, (_, i) => ({
    connectionId: `Conn${String(i).padStart(7, '0')}=`,
    userName: `user${i}`,
  }))
  // Large from its 100th member on: the base partition keeps those, the shards hold the rest.
  await seedLargeRoom(documentClient, tableName, {
    roomName,
    members,
    shards: options.shards,
    threshold: Math.min(100, subscribers),
  })
  const endpoint = await startSlowConnectionsEndpoint(options.latencyMs, quota)
  const queue = createMemoryQueue({ name: 'fanout' })
  const service = createChatService({
    repository: createChatRepository({ documentClient, tableName }),
    broadcaster: noPosts,
    publisher: createQueuePublisher({ queue, endpoint: endpoint.endpoint }),
    logger: silent,
  })
  const handlers = Array.from({ length: options.workers }, () =>
    createFanOutHandler({
      documentClient,
      tableName,
      queue,
      managementEndpoint: endpoint.endpoint,
      region: 'local',
      managementCredentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
      managementTimeoutMs: 10_000,
      logger: silent,
    }),
  )
  const failures: unknown[] = []
  const pollers = handlers.map((worker) =>
    startQueuePoller({
      queue,
      handler: worker.handler,
      batchSize: options.batchSize,
      concurrency: 1,
      waitTimeMs: 200,
      onError: (error) => failures.push(error),
    }),
  )
  const completions: number[] = []
  const rates: number[] = []
  const throttled: number[] = []
  const sender = members[0] as { connectionId: string }
  try {
    // Round −1 warms up, uncounted: sockets open and the SDK's lazy setup done in every worker, as
    // in warm Lambda execution environments (a cold start is "Cold start"'s business).
    for (let round = -1; round < rounds; round++) {
      // A full bucket at the start of every round, as for a broadcast after a quiet moment.
      await sleep((quota.burst / quota.perSecond) * 1000 + 100)
      await endpoint.reset()
      const started = Date.now()
      const outcome = await service.receive(
        { connectionId: sender.connectionId, requestId: `round-${round}`, requestTimeEpoch: started },
        JSON.stringify({ action: 'sendMessage', roomName, message: `round ${round}` }),
      )
      if (outcome.statusCode !== 200) throw new Error(`sendMessage answered ${outcome.statusCode}`)
      for (;;) {
        const stats = await endpoint.stats()
        const idle = queue.stats().visible + queue.stats().inFlight === 0
        if (stats.distinct >= subscribers && idle) {
          const ms = stats.lastDeliveredAt - started
          if (round >= 0) {
            completions.push(ms)
            rates.push(stats.distinct / (ms / 1000))
            throttled.push(stats.throttled)
          }
          break
        }
        if (Date.now() - started > options.timeoutMs || failures.length > 0) {
          throw new Error(
            `large-room broadcast of ${subscribers}: ${stats.distinct} delivered after ${Date.now() - started} ms` +
              (failures.length > 0 ? ` (${String(failures[0])})` : ''),
          )
        }
        await sleep(20)
      }
    }
  } finally {
    await Promise.all(pollers.map((poller) => poller.stop()))
    for (const worker of handlers) worker.close()
    await endpoint.close()
    documentClient.destroy()
  }
  return {
    ...testCase,
    completionMs: median(completions),
    completions,
    postsPerSecond: median(rates),
    throttled: median(throttled),
    floorMs: (Math.max(0, subscribers - quota.burst) / quota.perSecond) * 1000 + options.latencyMs,
  }
}
