import { describe, expect, it } from 'vitest'
import { type FanOutModelInput, simulateFanOut } from '../../../bench/fanOutModel.js'

const base: FanOutModelInput = {
  subscribers: 1_000,
  shards: 1,
  workerConcurrency: 1,
  jobsPerInvocation: 1,
  inFlight: 1,
  postLatencyMs: 30,
  cpuPerPostMs: 0,
  shardReadMs: 0,
  pickupMs: 0,
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
    const many = simulateFanOut({
      ...base,
      subscribers: 6_400,
      shards: 64,
      inFlight: 16,
      workerConcurrency: 64,
    })
    expect(many.invocations).toBe(64)
    expect(one.completionMs / many.completionMs).toBeGreaterThan(30)
  })

  it('never beats the account quota: (subscribers − burst) ÷ rate', () => {
    const result = simulateFanOut({
      ...base,
      subscribers: 100_000,
      shards: 64,
      workerConcurrency: 64,
      inFlight: 64,
      quotaPerSecond: 10_000,
      quotaBurst: 5_000,
    })
    expect(result.quotaFloorMs).toBe(9_500)
    expect(result.completionMs).toBeGreaterThanOrEqual(result.quotaFloorMs)
    expect(result.throttledPosts).toBeGreaterThan(0)
    expect(result.posts).toBe(100_000)
  })
})
