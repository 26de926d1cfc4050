import { checkValue } from '../../src/config/settings.js'
import { CLI_SETTINGS } from '../flagSettings.js'

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

/**
 * A throttle API Gateway would take (the rules of the CLI's rate and burst flags, without `off`);
 * else `validation.option` naming the number: `stage.rate must be a positive number (got 0)`.
 */
export function checkThrottle({ rate, burst }: Throttle, name = 'throttle'): Throttle {
  return {
    rate: checkValue(CLI_SETTINGS.throttleRate, rate, `${name}.rate`),
    burst: checkValue(CLI_SETTINGS.throttleBurst, burst, `${name}.burst`),
  }
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
  const { rate, burst } = checkThrottle(throttle)
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
