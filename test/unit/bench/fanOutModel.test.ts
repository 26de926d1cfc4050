import { describe, expect, it } from 'vitest'
import { type FanOutModelInput, simulateFanOut, timeToFullConcurrencyMs } from '../../../bench/fanOutModel.js'

const fixed = (concurrency: number) => ({
  initialConcurrency: concurrency,
  addedPerMinute: 0,
  maximumConcurrency: concurrency,
})

const base: FanOutModelInput = {
  subscribers: 1_000,
  shards: 1,
  scaling: fixed(1),
  batchSize: 1,
  inFlight: 1,
  postLatencyMs: 30,
  cpuPerPostMs: 0,
  shardReadMs: 0,
  pickupMs: 0,
  coldStartMs: 0,
  quotaPerSecond: 1_000_000,
  quotaBurst: 1_000_000,
}

describe('simulateFanOut', () => {
  it('posts one after another with one in flight: subscribers × latency', () => {
    const result = simulateFanOut({ ...base, subscribers: 100 })
    expect(result.posts).toBe(100)
    // Within the model's 0.1 ms steps per post.
    expect(result.completionMs).toBeGreaterThanOrEqual(3_000)
    expect(result.completionMs).toBeLessThan(3_015)
  })

  it('divides the time by the posts in flight', () => {
    const result = simulateFanOut({ ...base, subscribers: 640, inFlight: 64 })
    expect(result.completionMs).toBeCloseTo(300, -1)
  })

  it('is bound by the CPU per post when that is the slower part', () => {
    // 1 ms of CPU per post: at most 1,000 posts/s whatever the posts in flight.
    const result = simulateFanOut({ ...base, subscribers: 2_000, inFlight: 1_000, cpuPerPostMs: 1 })
    expect(result.completionMs).toBeGreaterThanOrEqual(2_000)
    expect(result.completionMs).toBeLessThan(2_100)
  })

  it('spreads shards over invocations', () => {
    const one = simulateFanOut({ ...base, subscribers: 6_400, shards: 64, inFlight: 16 })
    const many = simulateFanOut({ ...base, subscribers: 6_400, shards: 64, inFlight: 16, scaling: fixed(64) })
    expect(many.invocations).toBe(64)
    expect(one.completionMs / many.completionMs).toBeGreaterThan(30)
  })

  it('never beats the account quota: (subscribers − burst) ÷ rate', () => {
    const result = simulateFanOut({
      ...base,
      subscribers: 100_000,
      shards: 64,
      scaling: fixed(64),
      inFlight: 64,
      quotaPerSecond: 10_000,
      quotaBurst: 5_000,
    })
    expect(result.quotaFloorMs).toBe(9_500)
    expect(result.completionMs).toBeGreaterThanOrEqual(result.quotaFloorMs)
    expect(result.throttledPosts).toBeGreaterThan(0)
    expect(result.posts).toBe(100_000)
  })

  it("works a batch's jobs at once, sharing the invocation's posts in flight", () => {
    // Two jobs of 64 in one invocation with 128 sockets: one round trip, not one per job.
    const result = simulateFanOut({ ...base, subscribers: 128, shards: 2, batchSize: 2, inFlight: 128 })
    expect(result.invocations).toBe(1)
    expect(result.completionMs).toBeLessThan(31)
  })

  it("gives the room's base partition a job of its own", () => {
    const result = simulateFanOut({
      ...base,
      subscribers: 1_100,
      baseMembers: 1_000,
      shards: 4,
      inFlight: 100,
      scaling: fixed(5),
    })
    expect(result.invocations).toBe(5)
    // The base job's 1,000 posts at 100 in flight are the long pole: ten round trips.
    expect(result.completionMs).toBeGreaterThanOrEqual(300)
    expect(result.completionMs).toBeLessThan(310)
  })

  describe('the event source', () => {
    const backlog = { ...base, subscribers: 100_000, shards: 1_000, inFlight: 10 }

    it('starts with its initial concurrency and adds up to its rate per minute while jobs wait', () => {
      const scaling = { initialConcurrency: 5, addedPerMinute: 300, maximumConcurrency: 10 }
      const result = simulateFanOut({ ...backlog, scaling })
      expect(result.invocations).toBe(10)
      // Five more at 300 a minute: one every 200 ms, the fifth at 1 s.
      expect(result.fullConcurrencyMs).toBeCloseTo(1_000, -1)
      const slower = simulateFanOut({ ...backlog, scaling: { ...scaling, addedPerMinute: 60 } })
      expect(slower.fullConcurrencyMs).toBeCloseTo(5_000, -1)
      expect(slower.completionMs).toBeGreaterThan(result.completionMs)
    })

    it('never exceeds its maximum concurrency', () => {
      const result = simulateFanOut({
        ...backlog,
        scaling: { initialConcurrency: 5, addedPerMinute: 1_000_000, maximumConcurrency: 7 },
      })
      expect(result.invocations).toBe(7)
    })

    it('adds no invocation once nothing waits', () => {
      // 65 jobs in batches of 10: seven batches, five at first and two more from the ramp.
      const result = simulateFanOut({
        ...backlog,
        shards: 65,
        batchSize: 10,
        scaling: { initialConcurrency: 5, addedPerMinute: 300, maximumConcurrency: 10 },
      })
      expect(result.invocations).toBe(7)
      expect(result.fullConcurrencyMs).toBeUndefined()
    })
  })

  describe('cold starts', () => {
    const spread = {
      ...base,
      subscribers: 6_400,
      shards: 64,
      inFlight: 16,
      scaling: fixed(8),
      coldStartMs: 500,
    }

    it('pays the init duration once per new execution environment', () => {
      const cold = simulateFanOut(spread)
      const warm = simulateFanOut({ ...spread, warmEnvironments: 8 })
      expect(cold.coldStarts).toBe(8)
      expect(warm.coldStarts).toBe(0)
      // Environments stay warm between batches: the delay is one init, not one per batch.
      expect(cold.completionMs - warm.completionMs).toBeCloseTo(500, -1)
    })

    it('starts new environments only beyond the warm ones', () => {
      expect(simulateFanOut({ ...spread, warmEnvironments: 3 }).coldStarts).toBe(5)
    })
  })

  describe('a storm of messages', () => {
    const storm = {
      ...base,
      subscribers: 1_000,
      shards: 10,
      batchSize: 10,
      inFlight: 100,
      scaling: fixed(2),
      quotaPerSecond: 10_000,
      quotaBurst: 1_000,
      messages: 100,
      messageIntervalMs: 10,
    }

    it('delivers every message when the clock runs to the end', () => {
      const result = simulateFanOut(storm)
      expect(result.messagesDelivered).toBe(100)
      expect(result.posts).toBe(100_000)
      expect(result.jobsWaiting).toBe(0)
      expect(result.completionMs).toBeGreaterThanOrEqual(result.quotaFloorMs)
    })

    it('reports the backlog where the horizon cuts it', () => {
      const result = simulateFanOut({ ...storm, horizonMs: 1_000 })
      expect(result.completionMs).toBeCloseTo(1_000, 0)
      // The quota allows ~11,000 posts in the first second: about 11 of the 100 messages.
      expect(result.posts).toBeLessThanOrEqual(11_000)
      expect(result.messagesDelivered).toBeLessThan(12)
      expect(result.firstMessageMs).toBeLessThan(1_000)
      expect(result.jobsWaiting).toBeGreaterThan(0)
      // The oldest waiting job was enqueued with a message that came within the first second.
      expect(result.oldestJobAgeMs).toBeGreaterThan(0)
      expect(result.oldestJobAgeMs).toBeLessThanOrEqual(1_000)
    })
  })
})

describe('timeToFullConcurrencyMs', () => {
  it('is the ramp from the initial to the maximum concurrency at the rate per minute', () => {
    expect(
      timeToFullConcurrencyMs({ initialConcurrency: 5, addedPerMinute: 300, maximumConcurrency: 10 }),
    ).toBe(1_000)
    expect(
      timeToFullConcurrencyMs({ initialConcurrency: 5, addedPerMinute: 300, maximumConcurrency: 1_000 }),
    ).toBe(199_000)
  })

  it('is zero when the maximum is below the initial concurrency', () => {
    expect(
      timeToFullConcurrencyMs({ initialConcurrency: 5, addedPerMinute: 300, maximumConcurrency: 2 }),
    ).toBe(0)
  })
})
