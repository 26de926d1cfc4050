import { isChatDbError } from '../errors.js'
import { THROTTLING_ERROR_NAMES } from '../repository/storeErrors.js'
import { type BackoffPolicy, backoffDelay } from '../util/backoff.js'

/**
 * DynamoDB's throttling errors, as they reach the caller once the SDK's own retries are spent,
 * and `store.unprocessedItems`: a batch still left unprocessed (throttled) after batchWrite's.
 */
export function isThrottling(error: unknown): boolean {
  if (isChatDbError(error, 'store.unprocessedItems')) return true
  const name = (error as { name?: unknown } | null)?.name
  return typeof name === 'string' && THROTTLING_ERROR_NAMES.has(name)
}

export interface ThrottleBackoffOptions {
  /** First delay's ceiling (default 500 ms): doubled per consecutive throttle of one batch. */
  baseDelayMs?: number
  /** The ceiling's cap (default 30 s). */
  maxDelayMs?: number
}

/**
 * The backoff of a throttled batch: exponential, capped, with "equal jitter" (half the ceiling
 * plus a random half), so writers throttled together spread out but each one does wait a real
 * share of the ceiling.
 */
export function throttlePolicy({
  baseDelayMs = 500,
  maxDelayMs = 30_000,
}: ThrottleBackoffOptions): BackoffPolicy {
  return { baseMs: baseDelayMs, capMs: maxDelayMs, jitter: 'equal' }
}

/**
 * The wait before retry `attempt` (0-based) of a throttled batch.
 *
 * @example
 * throttleDelay(0, {}, () => 0.5) // 375: between 250 and 500 ms
 */
export function throttleDelay(
  attempt: number,
  options: ThrottleBackoffOptions,
  random = Math.random,
): number {
  return backoffDelay(throttlePolicy(options), attempt, random)
}
