import { describe, expect, it } from 'vitest'
import { backoffDelay, withBackoff } from '../../../src/util/backoff.js'

/** A sleep that only records what it was asked to wait. */
function fakeSleep() {
  const waits: number[] = []
  return { waits, sleep: async (ms: number) => void waits.push(ms) }
}

/** An attempt that answers `results` in turn and records the attempt numbers it was called with. */
function scripted<T>(results: readonly (T | Error)[]) {
  const calls: number[] = []
  return {
    calls,
    attempt: async (n: number) => {
      calls.push(n)
      const next = results[calls.length - 1]
      if (next instanceof Error) throw next
      return next as T
    },
  }
}

describe('backoff', () => {
  describe('backoffDelay', () => {
    it('doubles the ceiling from baseMs with full jitter: random × ceiling', () => {
      const policy = { baseMs: 100, jitter: 'full' } as const
      expect([0, 1, 2, 3].map((retry) => backoffDelay(policy, retry, () => 0.5))).toStrictEqual([
        50, 100, 200, 400,
      ])
      expect([0, 1, 2, 3].map((retry) => backoffDelay(policy, retry, () => 0))).toStrictEqual([0, 0, 0, 0])
      expect(backoffDelay(policy, 3, () => 0.999)).toBe(799.2)
    })

    it('keeps the ceiling at capMs, however many retries came before', () => {
      const policy = { baseMs: 100, capMs: 300, jitter: 'full' } as const
      expect([0, 1, 2, 3, 2_000].map((retry) => backoffDelay(policy, retry, () => 0.5))).toStrictEqual([
        50, 100, 150, 150, 150,
      ])
    })

    it('waits at least half the ceiling with equal jitter: ceiling / 2 + random × ceiling / 2', () => {
      const policy = { baseMs: 100, capMs: 1_000, jitter: 'equal' } as const
      expect([0, 1, 2, 3, 4].map((retry) => backoffDelay(policy, retry, () => 0))).toStrictEqual([
        50, 100, 200, 400, 500,
      ])
      expect([0, 1, 2, 3, 4].map((retry) => backoffDelay(policy, retry, () => 0.5))).toStrictEqual([
        75, 150, 300, 600, 750,
      ])
    })

    it('grows the ceiling by factor', () => {
      const policy = { baseMs: 10, factor: 3, jitter: 'full' } as const
      expect([0, 1, 2, 3].map((retry) => backoffDelay(policy, retry, () => 0.5))).toStrictEqual([
        5, 15, 45, 135,
      ])
    })
  })

  describe('withBackoff', () => {
    const policy = { baseMs: 100, capMs: 300, jitter: 'full' } as const

    it('calls again while the result is worth retrying, waiting the policy delays between calls', async () => {
      const { waits, sleep } = fakeSleep()
      const { calls, attempt } = scripted([3, 2, 0])
      const left = await withBackoff(attempt, {
        policy,
        retryResult: (n) => n > 0,
        sleep,
        random: () => 0.5,
      })
      expect(left).toBe(0)
      expect(calls).toStrictEqual([1, 2, 3])
      expect(waits).toStrictEqual([50, 100])
    })

    it('answers the last result, still worth retrying, when maxAttempts run out', async () => {
      const { waits, sleep } = fakeSleep()
      const { calls, attempt } = scripted([5, 4, 3, 2, 1])
      const left = await withBackoff(attempt, {
        policy,
        maxAttempts: 4,
        retryResult: (n) => n > 0,
        sleep,
        random: () => 0.5,
      })
      expect(left).toBe(2)
      expect(calls).toStrictEqual([1, 2, 3, 4])
      expect(waits).toStrictEqual([50, 100, 150])
    })

    it('makes one attempt, and never waits, when maxAttempts is 1 or less', async () => {
      for (const maxAttempts of [1, 0, -3]) {
        const { waits, sleep } = fakeSleep()
        const { calls, attempt } = scripted([5, 4])
        expect(await withBackoff(attempt, { policy, maxAttempts, retryResult: (n) => n > 0, sleep })).toBe(5)
        expect(calls).toStrictEqual([1])
        expect(waits).toStrictEqual([])
      }
    })

    it('answers the first result when nothing says to retry', async () => {
      const { waits, sleep } = fakeSleep()
      const { calls, attempt } = scripted([5, 4])
      expect(await withBackoff(attempt, { policy, sleep })).toBe(5)
      expect(calls).toStrictEqual([1])
      expect(waits).toStrictEqual([])
    })

    it('retries what retryError accepts and rethrows at once what it does not', async () => {
      const { waits, sleep } = fakeSleep()
      const throttled = Object.assign(new Error('slow down'), { name: 'ThrottlingException' })
      const invalid = Object.assign(new Error('bad'), { name: 'ValidationException' })
      const { calls, attempt } = scripted<number>([throttled, throttled, invalid, 1])
      const failure = await withBackoff(attempt, {
        policy,
        retryError: (error) => (error as Error).name === 'ThrottlingException',
        sleep,
        random: () => 0.5,
      }).catch((error: unknown) => error)
      expect(failure).toBe(invalid)
      expect(calls).toStrictEqual([1, 2, 3])
      expect(waits).toStrictEqual([50, 100])
    })

    it('rethrows a thrown error at once when there is no retryError', async () => {
      const { waits, sleep } = fakeSleep()
      const error = new Error('boom')
      const { calls, attempt } = scripted<number>([error, 1])
      await expect(withBackoff(attempt, { policy, retryResult: () => true, sleep })).rejects.toBe(error)
      expect(calls).toStrictEqual([1])
      expect(waits).toStrictEqual([])
    })

    it('throws the last error when maxAttempts run out', async () => {
      const { waits, sleep } = fakeSleep()
      const errors = [new Error('1'), new Error('2'), new Error('3'), new Error('4')]
      const { calls, attempt } = scripted<number>(errors)
      await expect(
        withBackoff(attempt, { policy, maxAttempts: 3, retryError: () => true, sleep, random: () => 0 }),
      ).rejects.toBe(errors[2])
      expect(calls).toStrictEqual([1, 2, 3])
      expect(waits).toStrictEqual([0, 0])
    })

    it('tells onRetry each delay and the attempt that called for it, before waiting', async () => {
      const events: string[] = []
      const { attempt } = scripted([2, 1, 0])
      await withBackoff(attempt, {
        policy: { baseMs: 40, jitter: 'equal' },
        retryResult: (n) => n > 0,
        onRetry: (delayMs, n) => events.push(`retry ${n} after ${delayMs}`),
        sleep: async (ms) => void events.push(`sleep ${ms}`),
        random: () => 0,
      })
      expect(events).toStrictEqual(['retry 1 after 20', 'sleep 20', 'retry 2 after 40', 'sleep 40'])
    })

    it('stops with what onRetry throws, without waiting', async () => {
      const { waits, sleep } = fakeSleep()
      const lost = new Error('lock lost')
      const { calls, attempt } = scripted([new Error('throttled'), 1])
      await expect(
        withBackoff(attempt, {
          policy,
          retryError: () => true,
          onRetry: () => {
            throw lost
          },
          sleep,
        }),
      ).rejects.toBe(lost)
      expect(calls).toStrictEqual([1])
      expect(waits).toStrictEqual([])
    })

    it('draws each delay from the injected random', async () => {
      const { waits, sleep } = fakeSleep()
      const draws = [0.25, 0.75]
      const { attempt } = scripted([2, 1, 0])
      await withBackoff(attempt, {
        policy,
        retryResult: (n) => n > 0,
        sleep,
        random: () => draws.shift() as number,
      })
      expect(waits).toStrictEqual([25, 150])
    })
  })
})
