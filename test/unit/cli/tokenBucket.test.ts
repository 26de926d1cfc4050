import { describe, expect, it } from 'vitest'
import { checkThrottle, createTokenBucket } from '../../../cli/gateway/tokenBucket.js'

/** A clock the test moves by hand (ms). */
function fakeClock() {
  let at = 1_000
  return { now: () => at, advance: (ms: number) => (at += ms) }
}

const takeAll = (bucket: { take(): boolean }, tries: number) =>
  Array.from({ length: tries }, () => bucket.take()).filter(Boolean).length

describe('createTokenBucket', () => {
  it('passes a full burst at once, then nothing until tokens come back', () => {
    const clock = fakeClock()
    const bucket = createTokenBucket({ rate: 20, burst: 10 }, clock.now)
    expect(takeAll(bucket, 25)).toBe(10)
    expect(bucket.hasToken()).toBe(false)
  })

  it('refills at the rate, one token per 1/rate seconds, never beyond the burst', () => {
    const clock = fakeClock()
    const bucket = createTokenBucket({ rate: 20, burst: 10 }, clock.now)
    takeAll(bucket, 10)
    clock.advance(49)
    expect(bucket.take()).toBe(false)
    clock.advance(1)
    expect(bucket.take()).toBe(true)
    clock.advance(250)
    expect(takeAll(bucket, 10)).toBe(5)
    clock.advance(60_000)
    expect(takeAll(bucket, 25)).toBe(10)
  })

  it('keeps the steady rate under sustained load: rate × seconds + burst in all', () => {
    const clock = fakeClock()
    const bucket = createTokenBucket({ rate: 1_000, burst: 500 }, clock.now)
    let passed = 0
    for (let ms = 0; ms < 2_000; ms++) {
      passed += takeAll(bucket, 5)
      clock.advance(1)
    }
    // 500 at once, then 1 per ms for the 1,999 ms that elapsed.
    expect(passed).toBe(500 + 1_999)
  })

  it('takes nothing when asked whether a token is there', () => {
    const clock = fakeClock()
    const bucket = createTokenBucket({ rate: 1, burst: 1 }, clock.now)
    expect(bucket.hasToken()).toBe(true)
    expect(bucket.hasToken()).toBe(true)
    expect(bucket.take()).toBe(true)
    expect(bucket.hasToken()).toBe(false)
  })

  it('adds nothing, and takes nothing away, when the clock steps back', () => {
    const clock = fakeClock()
    const bucket = createTokenBucket({ rate: 10, burst: 2 }, clock.now)
    takeAll(bucket, 2)
    clock.advance(-5_000)
    expect(bucket.take()).toBe(false)
    clock.advance(100)
    expect(bucket.take()).toBe(true)
  })

  it('refuses numbers API Gateway would not take, as validation.option in the settings’ wording', () => {
    for (const [throttle, message] of [
      [{ rate: 0, burst: 1 }, 'throttle.rate must be a positive number (got 0)'],
      [{ rate: -1, burst: 1 }, 'throttle.rate must be a positive number (got -1)'],
      [{ rate: Number.NaN, burst: 1 }, 'throttle.rate must be a positive number (got NaN)'],
      [{ rate: Infinity, burst: 1 }, 'throttle.rate must be a positive number (got Infinity)'],
      [{ rate: 1, burst: 0 }, 'throttle.burst must be a whole number ≥ 1 (got 0)'],
      [{ rate: 1, burst: 1.5 }, 'throttle.burst must be a whole number ≥ 1 (got 1.5)'],
    ] as const) {
      const refusal = { name: 'ChatDbError', code: 'validation.option', message }
      expect(() => checkThrottle(throttle)).toThrow(expect.objectContaining(refusal))
      expect(() => createTokenBucket(throttle)).toThrow(expect.objectContaining(refusal))
    }
    expect(checkThrottle({ rate: 0.5, burst: 1 }, 'stage')).toStrictEqual({ rate: 0.5, burst: 1 })
    expect(() => checkThrottle({ rate: 1, burst: 0 }, 'stage')).toThrow(
      'stage.burst must be a whole number ≥ 1 (got 0)',
    )
  })
})
