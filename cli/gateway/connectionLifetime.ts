import { parseDuration } from '../../src/admin/duration.js'
import { ChatDbError } from '../../src/errors.js'

/**
 * API Gateway's WebSocket quotas ("Idle Connection Timeout", "Connection duration for WebSocket
 * API"; neither can be increased):
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html
 */
export const AWS_IDLE_TIMEOUT_MS = 10 * 60_000
export const AWS_MAX_CONNECTION_AGE_MS = 2 * 3_600_000

/**
 * How API Gateway closes a connection at either limit: the code and reason its `$disconnect`
 * event carries (AWS documents neither; this is what a captured idle-timeout event shows).
 */
export const GOING_AWAY = { code: 1001, reason: 'Going away' } as const

export type Expiry = 'idle' | 'maxAge'

/** Time as the lifetime reads it: injectable, so that tests move it by hand. */
export interface LifetimeClock {
  now(): number
  /** Calls `tick` every `ms` until the returned function is called. */
  every(ms: number, tick: () => void): () => void
}

export const systemClock: LifetimeClock = {
  now: () => Date.now(),
  every(ms, tick) {
    // Never what keeps the process alive: the gateway's own close stops it anyway.
    const timer = setInterval(tick, ms).unref()
    return () => clearInterval(timer)
  },
}

export interface ConnectionLimits {
  /** No data frame either way for this long closes the connection (`Infinity`: never). */
  idleTimeoutMs: number
  /** A connection this old is closed however active it is (`Infinity`: never). */
  maxConnectionAgeMs: number
}

export interface ConnectionLifetimeOptions extends ConnectionLimits {
  /** Told once per connection that reached a limit; it is forgotten before the call. */
  expire(connectionId: string, why: Expiry): void
  clock?: LifetimeClock
}

export interface ConnectionLifetime {
  opened(connectionId: string): void
  /** A data frame went either way: the idle clock starts again. */
  active(connectionId: string): void
  closed(connectionId: string): void
  /** Forgets every connection and stops the sweep. */
  stop(): void
}

/**
 * The idle timeout and maximum age of the gateway's connections, as API Gateway enforces them.
 * One sweep timer for every connection (running only while some are open), never a timer per
 * connection or per frame: `active` moves the connection to the end of a map ordered by last
 * activity, so a sweep visits only the expired connections and the first live one. A limit is
 * met at most one sweep late (a tenth of the shorter limit, between 10 ms and 1 s).
 *
 * @example
 * const lifetime = createConnectionLifetime({
 *   idleTimeoutMs: AWS_IDLE_TIMEOUT_MS,
 *   maxConnectionAgeMs: AWS_MAX_CONNECTION_AGE_MS,
 *   expire: (id) => sockets.get(id)?.close(GOING_AWAY.code, GOING_AWAY.reason),
 * })
 */
export function createConnectionLifetime(options: ConnectionLifetimeOptions): ConnectionLifetime {
  const { idleTimeoutMs, maxConnectionAgeMs, expire, clock = systemClock } = options
  assertLimit('idleTimeoutMs', idleTimeoutMs)
  assertLimit('maxConnectionAgeMs', maxConnectionAgeMs)
  const idleOn = Number.isFinite(idleTimeoutMs)
  const ageOn = Number.isFinite(maxConnectionAgeMs)
  const sweepMs = Math.min(1_000, Math.max(10, Math.floor(Math.min(idleTimeoutMs, maxConnectionAgeMs) / 10)))
  // Both in the order their limit comes due: opening order, and last activity (moved on each).
  const openedAt = new Map<string, number>()
  const lastActiveAt = new Map<string, number>()
  let stopSweep: (() => void) | undefined

  const forget = (connectionId: string) => {
    openedAt.delete(connectionId)
    lastActiveAt.delete(connectionId)
    if (openedAt.size === 0 && stopSweep) {
      stopSweep()
      stopSweep = undefined
    }
  }

  function sweep() {
    const now = clock.now()
    const due = new Map<string, Expiry>()
    if (ageOn) {
      for (const [id, at] of openedAt) {
        if (now - at < maxConnectionAgeMs) break
        due.set(id, 'maxAge')
      }
    }
    if (idleOn) {
      for (const [id, at] of lastActiveAt) {
        if (now - at < idleTimeoutMs) break
        if (!due.has(id)) due.set(id, 'idle')
      }
    }
    for (const [id, why] of due) {
      forget(id)
      expire(id, why)
    }
  }

  return {
    opened(connectionId) {
      if (!idleOn && !ageOn) return
      const now = clock.now()
      openedAt.set(connectionId, now)
      if (idleOn) lastActiveAt.set(connectionId, now)
      stopSweep ??= clock.every(sweepMs, sweep)
    },
    active(connectionId) {
      if (!lastActiveAt.has(connectionId)) return
      lastActiveAt.delete(connectionId)
      lastActiveAt.set(connectionId, clock.now())
    },
    closed: forget,
    stop() {
      openedAt.clear()
      lastActiveAt.clear()
      stopSweep?.()
      stopSweep = undefined
    },
  }
}

function assertLimit(name: string, ms: number) {
  if (!(ms === Number.POSITIVE_INFINITY || (Number.isSafeInteger(ms) && ms > 0))) {
    throw new RangeError(`${name} must be a positive whole number of milliseconds or Infinity (got ${ms})`)
  }
}

/**
 * A limit as the flags spell it: a whole number and a unit (`1500ms`, `90s`, `10m`, `2h`), or
 * `off` (`Infinity`). Throws `validation.option` for anything else.
 *
 * @example
 * parseLimit('10m') // 600_000
 */
export function parseLimit(text: string): number {
  const trimmed = text.trim()
  if (trimmed === 'off') return Number.POSITIVE_INFINITY
  const ms = /^(\d+)ms$/.exec(trimmed)
  try {
    const value = ms ? Number(ms[1]) : parseDuration(trimmed)
    if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError()
    return value
  } catch {
    throw new ChatDbError(
      'validation.option',
      `"${text}" is not a duration: use a positive whole number and a unit ms, s, m or h (e.g. 10m), or off`,
    )
  }
}

/** The limit for `--json` output: milliseconds, or `off` (Infinity is not JSON). */
export const limitForJson = (ms: number): number | 'off' => (Number.isFinite(ms) ? ms : 'off')
