/** A steady rate (requests per second) and a burst (the bucket's size), as API Gateway states its limits. */
export interface Throttle {
  rate: number
  burst: number
}

/** A throttle, or `off`: nothing is refused. */
export type ThrottleSetting = Throttle | 'off'

export interface TokenBucket {
  /** Whether a request may pass now (a token is there); takes nothing. */
  hasToken(): boolean
  /** Takes a token if there is one: true when the request may pass. */
  take(): boolean
}

/** Why a throttle cannot be used, or undefined when it can: API Gateway's own constraints on the numbers. */
export function throttleProblem({ rate, burst }: Throttle): string | undefined {
  if (!Number.isFinite(rate) || rate <= 0)
    return `a rate must be a positive number of requests per second (got ${rate})`
  if (!Number.isInteger(burst) || burst < 1) return `a burst must be a whole number ≥ 1 (got ${burst})`
  return undefined
}

/**
 * The token bucket API Gateway throttles with: `burst` tokens when full (and at the start), one
 * taken per request, refilled at `rate` per second. `now` (ms) is injectable so that tests run a
 * fake clock.
 *
 * @example
 * const bucket = createTokenBucket({ rate: 10_000, burst: 5_000 })
 * if (!bucket.take()) answer429()
 */
export function createTokenBucket(
  throttle: Throttle,
  now: () => number = () => performance.now(),
): TokenBucket {
  const problem = throttleProblem(throttle)
  if (problem) throw new RangeError(problem)
  const { rate, burst } = throttle
  let tokens = burst
  let filledAt = now()
  const refill = () => {
    const at = now()
    // A clock that steps back (a fake one reset) adds nothing rather than taking tokens away.
    tokens = Math.min(burst, tokens + (Math.max(0, at - filledAt) * rate) / 1000)
    filledAt = at
  }
  return {
    hasToken() {
      refill()
      return tokens >= 1
    },
    take() {
      refill()
      if (tokens < 1) return false
      tokens -= 1
      return true
    },
  }
}
