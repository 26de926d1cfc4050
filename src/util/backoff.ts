import { sleep as timer } from './concurrency.js'

/**
 * How long to wait before each retry: a ceiling that starts at `baseMs`, grows by `factor` per
 * retry up to `capMs`, and a jitter that draws the wait below it, so callers refused together
 * do not come back together (the AWS Architecture Blog's "Exponential Backoff And Jitter").
 */
export interface BackoffPolicy {
  /** The first retry's ceiling, in ms. */
  baseMs: number
  /** Each ceiling is the one before times this (default 2). */
  factor?: number
  /** No ceiling above this, in ms (default: no cap). */
  capMs?: number
  /**
   * `full`: anywhere from 0 to the ceiling (spreads callers out the most); `equal`: half the
   * ceiling plus a random half (every wait is at least half the ceiling).
   */
  jitter: 'full' | 'equal'
}

/**
 * The wait before retry `retry` (0 for the first) under `policy`, with `random` in [0, 1).
 *
 * @example
 * backoffDelay({ baseMs: 25, capMs: 2_000, jitter: 'full' }, 3, () => 0.5) // 100: half of 25 × 2³
 */
export function backoffDelay(
  policy: BackoffPolicy,
  retry: number,
  random: () => number = Math.random,
): number {
  const { baseMs, factor = 2, capMs = Number.POSITIVE_INFINITY, jitter } = policy
  const ceiling = Math.min(capMs, baseMs * factor ** retry)
  return jitter === 'full' ? random() * ceiling : ceiling / 2 + random() * (ceiling / 2)
}

export interface WithBackoffOptions<T> {
  policy: BackoffPolicy
  /** Attempts in all, the first included (default: no limit). There is always at least one. */
  maxAttempts?: number
  /** Whether what an attempt answered calls for another attempt (default: never). */
  retryResult?: (result: T) => boolean
  /** Whether what an attempt threw calls for another attempt (default: never, it is rethrown). */
  retryError?: (error: unknown) => boolean
  /** Told before each wait: its length and the attempt (1-based) that called for it. Throw to stop. */
  onRetry?: (delayMs: number, attempt: number) => void
  sleep?: (ms: number) => Promise<void>
  random?: () => number
}

/**
 * Calls `attempt` (with its number, from 1) until it answers something `retryResult` does not
 * retry, or throws something `retryError` does not retry, waiting `backoffDelay` between calls.
 * When `maxAttempts` run out it answers the last result, or throws the last error: what to make
 * of a result still worth retrying (fail, or hand it on) is the caller's.
 *
 * @example
 * let pending = items
 * const left = await withBackoff(
 *   async () => (pending = await send(pending)),
 *   { policy: { baseMs: 25, capMs: 2_000, jitter: 'full' }, maxAttempts: 10, retryResult: (left) => left.length > 0 },
 * )
 * if (left.length > 0) throw new ChatDbError('store.unprocessedItems', `${left.length} left`)
 */
export async function withBackoff<T>(
  attempt: (attempt: number) => Promise<T>,
  options: WithBackoffOptions<T>,
): Promise<T> {
  const {
    policy,
    maxAttempts = Number.POSITIVE_INFINITY,
    retryResult = () => false,
    retryError = () => false,
    onRetry,
    sleep = timer,
    random = Math.random,
  } = options
  for (let n = 1; ; n++) {
    let result: T
    try {
      result = await attempt(n)
    } catch (error) {
      if (!retryError(error) || n >= maxAttempts) throw error
      await wait(n)
      continue
    }
    if (!retryResult(result) || n >= maxAttempts) return result
    await wait(n)
  }

  async function wait(n: number) {
    const delay = backoffDelay(policy, n - 1, random)
    onRetry?.(delay, n)
    await sleep(delay)
  }
}
