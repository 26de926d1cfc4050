/**
 * A token bucket on write capacity units: `maxWcu` tokens a second, holding at most one second's
 * worth (the burst a fresh or idle migration may spend at once). A write takes its units up
 * front; when that leaves the bucket short, the writer waits until the refill has covered the
 * shortfall. The balance may go negative, so a single write larger than the bucket (a batch of
 * 25 large items at a small `maxWcu`) is still allowed — it just waits longer — and concurrent
 * writers queue: each one's wait includes the debts taken before it.
 */
export interface WriteRateLimiter {
  /** Takes `units` WCU from the bucket, waiting (through the injected `sleep`) when it is short. */
  acquire(units: number): Promise<void>
  /**
   * Corrects an earlier `acquire` by `units` (the reported capacity minus the estimate): positive
   * takes more (later writes wait for it), negative gives units back.
   */
  adjust(units: number): void
  /**
   * WCU taken (after corrections); how long writes were held back (the union of the waits:
   * concurrent writers waiting at once count once, so it is comparable with the run's duration);
   * and how many waits there were.
   */
  stats(): { consumedWcu: number; waitedMs: number; waits: number }
}

export interface WriteRateLimiterOptions {
  /** Write capacity units per second; undefined: no limit (units are still counted). */
  maxWcu: number | undefined
  /** Clock in epoch ms. */
  now: () => number
  sleep: (ms: number) => Promise<void>
}

/**
 * @example
 * const limiter = createWriteRateLimiter({ maxWcu: 100, now: Date.now, sleep })
 * await limiter.acquire(25) // at once: the bucket starts full
 */
export function createWriteRateLimiter({ maxWcu, now, sleep }: WriteRateLimiterOptions): WriteRateLimiter {
  const capacity = maxWcu ?? 0
  let tokens = capacity
  let refilledAt = now()
  let consumedWcu = 0
  let waitedMs = 0
  let waits = 0
  // The latest wake-up of any waiter so far: waits that overlap it add only what lies beyond.
  let waitingUntil = Number.NEGATIVE_INFINITY

  const refill = () => {
    const at = now()
    if (maxWcu !== undefined && at > refilledAt) {
      tokens = Math.min(capacity, tokens + ((at - refilledAt) / 1000) * maxWcu)
    }
    refilledAt = Math.max(refilledAt, at)
  }

  return {
    async acquire(units) {
      consumedWcu += units
      if (maxWcu === undefined) return
      refill()
      tokens -= units
      if (tokens >= 0) return
      const wait = (-tokens / maxWcu) * 1000
      const at = now()
      waitedMs += Math.max(0, at + wait - Math.max(at, waitingUntil))
      waitingUntil = Math.max(waitingUntil, at + wait)
      waits++
      await sleep(wait)
    },
    adjust(units) {
      consumedWcu += units
      if (maxWcu === undefined) return
      refill()
      tokens = Math.min(capacity, tokens - units)
    },
    stats: () => ({ consumedWcu, waitedMs, waits }),
  }
}
