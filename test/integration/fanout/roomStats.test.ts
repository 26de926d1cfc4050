import { describe, expect, it } from 'vitest'
import type { RoomStatsJob, ShardJob } from '../../../src/fanout/jobs.js'
import { runTrailingStats } from '../../../src/fanout/roomStats.js'
import { createFanOutWorker } from '../../../src/fanout/worker.js'
import { createMemoryQueue } from '../../../src/queue/memoryQueue.js'
import { toSqsRecord } from '../../../src/queue/queuePoller.js'
import { intervalEnd } from '../../../src/service/intervalEnd.js'
import type { ServiceLogger } from '../../../src/service/types.js'
import { useTestTable } from '../../support/dynamo.js'
import { createRecordingBroadcaster } from '../../support/recordingBroadcaster.js'

const t = useTestTable()
const silent: ServiceLogger = { error: () => {}, warn: () => {} }

/** A large room of 3 members (threshold 3, 2 shards) and its trailing roomStats job. */
async function largeRoom(roomName: string, intervalMs: number) {
  const repository = t.repository({ largeRoomThreshold: 3, largeRoomShards: 2 })
  for (let i = 0; i < 3; i++) {
    await repository.subscribe({ roomName, connectionId: `${roomName}-${i}=`, userName: `u${i}` })
  }
  const job: RoomStatsJob = { v: 1, kind: 'roomStats', roomName, shards: 2, intervalMs }
  return { repository, job }
}

const jobsOf = (bodies: string[]) => bodies.map((body) => JSON.parse(body) as ShardJob | RoomStatsJob)

describe('intervalEnd', () => {
  it('names the same end for every time inside one interval, and the next one at its end', () => {
    expect(intervalEnd(60_000, 30_000)).toBe(90_000)
    expect(intervalEnd(89_999, 30_000)).toBe(90_000)
    expect(intervalEnd(90_000, 30_000)).toBe(120_000)
  })
})

describe('runTrailingStats', () => {
  it('fans out the count when it changed since the last roomStats and that one is an interval old', async () => {
    const { repository, job } = await largeRoom('trail-due', 1_000)
    expect(await repository.claimRoomStats('trail-due', 1_000, 3)).toBe(true)
    await repository.subscribe({ roomName: 'trail-due', connectionId: 'trail-due-3=', userName: 'u3' })
    const queue = createMemoryQueue()
    // An interval later, in the worker's process.
    const clock = () => Date.now() + 1_000
    const store = t.repository({ largeRoomThreshold: 3, largeRoomShards: 2, now: clock })
    expect(await runTrailingStats(job, { store, queue, clock })).toBe('sent')
    const sent = jobsOf(queue.bodies()) as ShardJob[]
    expect(sent.map((j) => j.shard).sort()).toEqual([-1, 0, 1])
    expect(sent.map((j) => j.kind)).toEqual(['shard', 'shard', 'shard'])
    for (const j of sent)
      expect(j.frame).toEqual({ type: 'roomStats', roomName: 'trail-due', subscriberCount: 4 })
    expect((await repository.subscriberCounts('trail-due'))?.lastStats.count).toBe(4)
    // Run again (a redelivery): the members have this count, nothing more is sent.
    const again = createMemoryQueue()
    expect(await runTrailingStats(job, { store, queue: again, clock })).toBe('unchanged')
    expect(again.bodies()).toEqual([])
  })

  it('waits for the end of the interval of a roomStats sent less than an interval ago', async () => {
    const { repository, job } = await largeRoom('trail-early', 60_000)
    expect(await repository.claimRoomStats('trail-early', 60_000, 3)).toBe(true)
    await repository.subscribe({ roomName: 'trail-early', connectionId: 'trail-early-3=', userName: 'u3' })
    const queue = createMemoryQueue()
    expect(await runTrailingStats(job, { store: repository, queue })).toBe('later')
    // The job itself, invisible until that interval ends; no roomStats yet.
    expect(jobsOf(queue.bodies())).toEqual([job])
    expect(queue.stats()).toEqual({ visible: 0, inFlight: 1 })
    expect((await repository.subscriberCounts('trail-early'))?.lastStats.count).toBe(3)
  })

  it('is a job the fan-out worker runs with its repository, and fails without one', async () => {
    const { repository, job } = await largeRoom('trail-worker', 1)
    const record = toSqsRecord(
      { messageId: 'r1', receiptHandle: 'h1', body: JSON.stringify(job), receiveCount: 1, sentAt: 1 },
      'arn:aws:sqs:local:000000000000:fanout',
      'local',
    )
    const queue = createMemoryQueue()
    const options = {
      broadcaster: createRecordingBroadcaster(),
      queue,
      logger: silent,
      targetsOf: async () => [],
    }
    expect(await createFanOutWorker(options).handler({ Records: [record] })).toEqual({
      batchItemFailures: [{ itemIdentifier: 'r1' }],
    })
    const worker = createFanOutWorker({ ...options, roomStats: repository })
    expect(await worker.handler({ Records: [record] })).toEqual({ batchItemFailures: [] })
    const frames = (jobsOf(queue.bodies()) as ShardJob[]).map((j) => j.frame)
    expect(frames).toHaveLength(3)
    expect(frames[0]).toEqual({ type: 'roomStats', roomName: 'trail-worker', subscriberCount: 3 })
  })
})
