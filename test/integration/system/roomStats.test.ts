import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createQueuePublisher } from '../../../src/fanout/queuePublisher.js'
import { createFanOutWorker } from '../../../src/fanout/worker.js'
import type { ServerFrame } from '../../../src/protocol/frames.js'
import { createMemoryQueue, type MemoryQueue } from '../../../src/queue/memoryQueue.js'
import { type QueuePoller, startQueuePoller } from '../../../src/queue/queuePoller.js'
import type { ChatRepository } from '../../../src/repository/chatRepository.js'
import { type ChatService, createChatService } from '../../../src/service/chatService.js'
import { intervalEnd } from '../../../src/service/intervalEnd.js'
import type { ServiceLogger } from '../../../src/service/types.js'
import { sleep } from '../../../src/util/concurrency.js'
import { useTestTable } from '../../support/dynamo.js'
import { createRecordingBroadcaster } from '../../support/recordingBroadcaster.js'

const t = useTestTable()
const silent: ServiceLogger = { error: () => {}, warn: () => {} }

const INTERVAL_MS = 4_000

async function until(condition: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) return false
    await sleep(20)
  }
  return true
}

/**
 * A large room's `roomStats` on real parts: two processes (each its own repository and chat
 * service) over the test engine, the in-process fan-out queue with SQS's delays, and the fan-out worker
 * on its poller. A short `roomStatsIntervalMs` stands in for the default 30 s.
 */
describe("a large room's roomStats", () => {
  const broadcaster = createRecordingBroadcaster()
  let queue: MemoryQueue
  let poller: QueuePoller
  let services: ChatService[]
  let repository: ChatRepository
  // Every roomStats job the routes and the worker put on the queue.
  const trailingJobs: string[] = []

  beforeAll(() => {
    const repositories = [0, 1].map(() => t.repository({ largeRoomThreshold: 3, largeRoomShards: 2 }))
    repository = repositories[0] as ChatRepository
    queue = createMemoryQueue({ name: 'fanout', visibilityTimeoutMs: 5_000 })
    const sendBatch = queue.sendBatch
    queue.sendBatch = async (messages) => {
      for (const { body } of messages) if (body.includes('"kind":"roomStats"')) trailingJobs.push(body)
      return sendBatch(messages)
    }
    const worker = createFanOutWorker({
      broadcaster,
      queue,
      logger: silent,
      targetsOf: (roomName, shard) => repository.shardSubscribers(roomName, shard),
      roomStats: repository,
    })
    poller = startQueuePoller({ queue, handler: worker.handler, waitTimeMs: 20, onError: () => {} })
    services = repositories.map((processRepository) =>
      createChatService({
        repository: processRepository,
        broadcaster,
        logger: silent,
        publisher: createQueuePublisher({ queue }),
        roomStatsIntervalMs: INTERVAL_MS,
      }),
    )
  })

  afterAll(async () => {
    await poller.stop()
  })

  const join = (process: number, connectionId: string, userName: string) =>
    (services[process] as ChatService).receive(
      { connectionId },
      JSON.stringify({ action: 'subscribe', roomName: 'agora', userName }),
    )
  const counts = (connectionId: string) =>
    broadcaster
      .framesFor(connectionId)
      .flatMap((f: ServerFrame) => (f.type === 'roomStats' ? [f.subscriberCount] : []))

  it('tells the early members the final count after a room grew inside one interval and went still', async () => {
    // Start at the beginning of an interval, so the growth stays inside one.
    await sleep(intervalEnd(Date.now(), INTERVAL_MS) - Date.now() + 20)
    const ids = Array.from({ length: 7 }, (_, i) => `agora-${i}=`)
    for (const [i, id] of ids.entries()) expect((await join(i % 2, id, `a${i}`)).statusCode).toBe(200)
    // The third made the room large: its roomStats (3) reached the first members at once.
    expect(await until(() => counts(ids[0] as string).includes(3), 10_000)).toBe(true)
    // Four joins after it inside the interval, through both processes: suppressed then, told at
    // the end of the interval by one trailing roomStats carrying the room's count.
    const counted = (await repository.subscriberCounts('agora'))?.total
    expect(counted).toBeGreaterThan(3)
    const early = ids.slice(0, 3)
    const settled = await until(() => early.every((id) => counts(id).at(-1) === counted), 3 * INTERVAL_MS)
    expect(early.map((id) => counts(id).at(-1))).toEqual(early.map(() => counted))
    expect(settled).toBe(true)
    // Joins from two processes scheduled one trailing job for the interval (sent again, at most
    // once, to wait for the end of the crossing's interval, which started a little later).
    expect(trailingJobs.length).toBeGreaterThanOrEqual(1)
    expect(trailingJobs.length).toBeLessThanOrEqual(2)
    // Still: nothing more is queued or sent.
    expect(await until(() => queue.stats().visible + queue.stats().inFlight === 0, 10_000)).toBe(true)
    const heard = counts(ids[0] as string)
    await sleep(200)
    expect(counts(ids[0] as string)).toEqual(heard)
  }, 60_000)
})
