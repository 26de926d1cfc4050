import { describe, expect, it } from 'vitest'
import { createWriteRateLimiter } from '../../../src/migrator/writeRateLimiter.js'

/**
 * A fake clock whose `sleep` moves time to the sleeper's wake-up: concurrent sleepers overlap,
 * as real timers do, so time only advances as far as the latest wake-up.
 */
function fakeClock(start = 1_000_000) {
  let now = start
  const sleeps: number[] = []
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms
    },
    sleep: (ms: number) => {
      const wake = now + ms
      sleeps.push(ms)
      return Promise.resolve().then(() => {
        now = Math.max(now, wake)
      })
    },
    sleeps,
  }
}

describe('createWriteRateLimiter', () => {
  describe('acquire', () => {
    it('lets one second of units through at once, then waits for the refill', async () => {
      const clock = fakeClock()
      const limiter = createWriteRateLimiter({ maxWcu: 100, now: clock.now, sleep: clock.sleep })
      await limiter.acquire(60)
      await limiter.acquire(40)
      expect(clock.sleeps).toEqual([])
      await limiter.acquire(25)
      // 25 units short at 100 WCU/s: a quarter of a second.
      expect(clock.sleeps).toEqual([250])
      expect(limiter.stats()).toEqual({ consumedWcu: 125, waitedMs: 250, waits: 1 })
    })

    it('holds a long run to maxWcu: n units take (n − burst) / maxWcu seconds', async () => {
      const clock = fakeClock()
      const start = clock.now()
      const limiter = createWriteRateLimiter({ maxWcu: 50, now: clock.now, sleep: clock.sleep })
      for (let i = 0; i < 200; i++) await limiter.acquire(5)
      // 1,000 units, 50 of them from the full bucket: 950 / 50 = 19 s.
      expect(clock.now() - start).toBeCloseTo(19_000, 6)
      expect(limiter.stats().waitedMs).toBeCloseTo(19_000, 6)
      expect(limiter.stats().consumedWcu).toBe(1_000)
    })

    it('refills with elapsed time, never beyond one second of units', async () => {
      const clock = fakeClock()
      const limiter = createWriteRateLimiter({ maxWcu: 10, now: clock.now, sleep: clock.sleep })
      await limiter.acquire(10)
      clock.advance(500)
      await limiter.acquire(5)
      expect(clock.sleeps).toEqual([])
      clock.advance(60_000) // idle for a minute: still only 10 units of burst
      await limiter.acquire(15)
      expect(clock.sleeps).toEqual([500])
    })

    it('allows a write bigger than the bucket, waiting for all of it', async () => {
      const clock = fakeClock()
      const limiter = createWriteRateLimiter({ maxWcu: 10, now: clock.now, sleep: clock.sleep })
      await limiter.acquire(35)
      expect(clock.sleeps).toEqual([2_500])
    })

    it('queues concurrent writers: each wait includes the debts taken before it', async () => {
      const clock = fakeClock()
      const limiter = createWriteRateLimiter({ maxWcu: 100, now: clock.now, sleep: clock.sleep })
      await limiter.acquire(100)
      await Promise.all([limiter.acquire(50), limiter.acquire(50), limiter.acquire(50)])
      expect(clock.sleeps).toEqual([500, 1_000, 1_500])
      // Held back 1.5 s in all: the three waits overlap.
      expect(limiter.stats()).toMatchObject({ waitedMs: 1_500, waits: 3 })
    })

    it('counts units without ever waiting when there is no limit', async () => {
      const clock = fakeClock()
      const limiter = createWriteRateLimiter({ maxWcu: undefined, now: clock.now, sleep: clock.sleep })
      for (let i = 0; i < 100; i++) await limiter.acquire(1_000)
      limiter.adjust(-500)
      expect(clock.sleeps).toEqual([])
      expect(limiter.stats()).toEqual({ consumedWcu: 99_500, waitedMs: 0, waits: 0 })
    })
  })

  describe('adjust', () => {
    it('takes more units when a write cost more than estimated, and gives back what it cost less', async () => {
      const clock = fakeClock()
      const limiter = createWriteRateLimiter({ maxWcu: 100, now: clock.now, sleep: clock.sleep })
      await limiter.acquire(100)
      limiter.adjust(20) // the write really cost 120
      await limiter.acquire(10)
      expect(clock.sleeps).toEqual([300])
      // The wait paid that debt off; this write was refused and cost nothing: 30 units back.
      limiter.adjust(-30)
      await limiter.acquire(30)
      expect(clock.sleeps).toEqual([300])
      await limiter.acquire(30)
      expect(clock.sleeps).toEqual([300, 300])
      expect(limiter.stats().consumedWcu).toBe(160)
    })
  })
})
