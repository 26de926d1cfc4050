import { describe, expect, it } from 'vitest'
import {
  createConnectionLifetime,
  type Expiry,
  type LifetimeClock,
  parseLimit,
} from '../../../cli/gateway/connectionLifetime.js'
import { isChatDbError } from '../../../src/errors.js'

/** A clock moved by hand: `advance` runs the sweep as often as the real timer would have. */
function manualClock() {
  let now = 1_000_000
  const timers = new Set<{ ms: number; tick: () => void; next: number }>()
  const clock: LifetimeClock = {
    now: () => now,
    every(ms, tick) {
      const timer = { ms, tick, next: now + ms }
      timers.add(timer)
      return () => timers.delete(timer)
    },
  }
  return {
    clock,
    timers,
    advance(ms: number) {
      const until = now + ms
      for (;;) {
        const next = [...timers].sort((a, b) => a.next - b.next)[0]
        if (!next || next.next > until) break
        now = next.next
        next.next += next.ms
        next.tick()
      }
      now = until
    },
  }
}

function lifetimeWith(limits: { idleTimeoutMs: number; maxConnectionAgeMs: number }) {
  const time = manualClock()
  const expired: [string, Expiry][] = []
  const lifetime = createConnectionLifetime({
    ...limits,
    clock: time.clock,
    expire: (id, why) => expired.push([id, why]),
  })
  return { ...time, lifetime, expired }
}

describe('connectionLifetime', () => {
  describe('createConnectionLifetime', () => {
    it('expires a connection with no data frame for the idle timeout, and one that is active never', () => {
      const { lifetime, expired, advance } = lifetimeWith({ idleTimeoutMs: 10_000, maxConnectionAgeMs: 1e9 })
      lifetime.opened('quiet')
      lifetime.opened('busy')
      for (let i = 0; i < 30; i++) {
        advance(2_000)
        lifetime.active('busy')
      }
      expect(expired).toEqual([['quiet', 'idle']])
    })

    it('meets the idle timeout at most one sweep (a tenth of it) late, never early', () => {
      const { lifetime, expired, advance } = lifetimeWith({ idleTimeoutMs: 10_000, maxConnectionAgeMs: 1e9 })
      lifetime.opened('a')
      advance(9_999)
      expect(expired).toEqual([])
      advance(1_000)
      expect(expired).toEqual([['a', 'idle']])
    })

    it('expires a connection at the maximum age however active it is', () => {
      const { lifetime, expired, advance } = lifetimeWith({
        idleTimeoutMs: 5_000,
        maxConnectionAgeMs: 60_000,
      })
      lifetime.opened('first')
      for (let t = 0; t < 20; t++) {
        advance(1_000)
        lifetime.active('first')
      }
      lifetime.opened('second')
      for (let t = 0; t < 41; t++) {
        advance(1_000)
        lifetime.active('first')
        lifetime.active('second')
      }
      expect(expired).toEqual([['first', 'maxAge']])
      for (let t = 0; t < 20; t++) {
        advance(1_000)
        lifetime.active('second')
      }
      expect(expired).toEqual([
        ['first', 'maxAge'],
        ['second', 'maxAge'],
      ])
    })

    it('expires each connection once, and none after it closed', () => {
      const { lifetime, expired, advance } = lifetimeWith({ idleTimeoutMs: 1_000, maxConnectionAgeMs: 1_000 })
      lifetime.opened('both')
      lifetime.opened('gone')
      lifetime.closed('gone')
      advance(5_000)
      expect(expired).toEqual([['both', 'maxAge']])
    })

    it('runs one sweep timer, only while connections are open, and none after stop', () => {
      const { lifetime, timers, advance } = lifetimeWith({ idleTimeoutMs: 1_000, maxConnectionAgeMs: 1e9 })
      expect(timers.size).toBe(0)
      for (let i = 0; i < 1_000; i++) lifetime.opened(`c${i}`)
      expect(timers.size).toBe(1)
      for (let i = 0; i < 1_000; i++) lifetime.closed(`c${i}`)
      expect(timers.size).toBe(0)
      lifetime.opened('late')
      expect(timers.size).toBe(1)
      lifetime.stop()
      expect(timers.size).toBe(0)
      advance(10_000)
    })

    it('keeps no timer at all when both limits are off', () => {
      const { lifetime, timers, expired, advance } = lifetimeWith({
        idleTimeoutMs: Number.POSITIVE_INFINITY,
        maxConnectionAgeMs: Number.POSITIVE_INFINITY,
      })
      lifetime.opened('a')
      advance(1e10)
      expect(timers.size).toBe(0)
      expect(expired).toEqual([])
    })

    it('ignores activity of a connection it does not know (closed, or never opened)', () => {
      const { lifetime, expired, advance } = lifetimeWith({ idleTimeoutMs: 1_000, maxConnectionAgeMs: 1e9 })
      lifetime.opened('a')
      lifetime.closed('a')
      lifetime.active('a')
      lifetime.active('stranger')
      advance(5_000)
      expect(expired).toEqual([])
    })

    it('refuses a limit that is not a positive whole number of milliseconds or Infinity', () => {
      for (const bad of [0, -1, 1.5, Number.NaN]) {
        expect(() =>
          createConnectionLifetime({ idleTimeoutMs: bad, maxConnectionAgeMs: 1, expire: () => {} }),
        ).toThrow(RangeError)
      }
    })
  })

  describe('parseLimit', () => {
    it('reads a whole number with a unit, or off', () => {
      expect(parseLimit('10m')).toBe(600_000)
      expect(parseLimit('2h')).toBe(7_200_000)
      expect(parseLimit('90s')).toBe(90_000)
      expect(parseLimit('1500ms')).toBe(1_500)
      expect(parseLimit('off')).toBe(Number.POSITIVE_INFINITY)
    })

    it('refuses anything else with validation.option', () => {
      for (const bad of ['', '10', '0s', '0ms', '-5s', '1.5s', 'ten minutes', '10 m', 'Infinity']) {
        let caught: unknown
        try {
          parseLimit(bad)
        } catch (error) {
          caught = error
        }
        expect(isChatDbError(caught, 'validation.option'), bad).toBe(true)
      }
    })
  })
})
