import { AWS_ACCOUNT_THROTTLE, TEMPLATE_STAGE_THROTTLE } from './limits.js'
import { checkThrottle, createTokenBucket, type ThrottleSetting, type TokenBucket } from './tokenBucket.js'

export { AWS_ACCOUNT_THROTTLE, TEMPLATE_STAGE_THROTTLE } from './limits.js'
export type { Throttle, ThrottleSetting } from './tokenBucket.js'

/** Which limit refused a request. */
export type ThrottledBy = 'account' | 'stage'

export type Admission = { kind: 'admitted' } | { kind: 'throttled'; by: ThrottledBy }

/** Requests refused so far: route requests by route key, and `@connections` calls. */
export interface ThrottleCounts {
  routes: Record<string, number>
  managementCalls: number
}

export interface RequestLimitsOptions {
  /** The account budget (default {@link AWS_ACCOUNT_THROTTLE}). */
  account?: ThrottleSetting
  /** Each route's throttle (default {@link TEMPLATE_STAGE_THROTTLE}). */
  stage?: ThrottleSetting
  /** At most one line a second, counting the requests refused since the last. */
  log?: (line: string) => void
  /** Milliseconds, for the buckets and the log's pace (default `performance.now`). */
  now?: () => number
}

const ADMITTED: Admission = { kind: 'admitted' }
const NO_LIMIT: TokenBucket = { hasToken: () => true, take: () => true }

/**
 * The local gateway's request limits, as API Gateway applies them to a WebSocket API: one account
 * bucket for every route request and every `@connections` call, and, for route requests only,
 * one bucket per route key with the stage's default route settings (routes have no settings of
 * their own in the template). A request refused by either takes no token from the other.
 *
 * @example
 * const limits = createRequestLimits({ account: { rate: 20, burst: 10 } })
 * if (limits.admitRoute('sendMessage').kind === 'throttled') sendTooManyRequests()
 */
export function createRequestLimits(options: RequestLimitsOptions = {}) {
  const { log, now = () => performance.now() } = options
  const bucket = (setting: ThrottleSetting) =>
    setting === 'off' ? NO_LIMIT : createTokenBucket(setting, now)
  // Both checked now: a route's bucket is made at its first request, too late to refuse a bad one.
  const checked = (setting: ThrottleSetting, name: string) =>
    setting === 'off' ? setting : checkThrottle(setting, name)
  const stage = checked(options.stage ?? TEMPLATE_STAGE_THROTTLE, 'stage')
  const account = bucket(checked(options.account ?? AWS_ACCOUNT_THROTTLE, 'account'))
  const routes = new Map<string, TokenBucket>()
  const counts: ThrottleCounts = { routes: {}, managementCalls: 0 }
  let unlogged = 0
  let loggedAt = Number.NEGATIVE_INFINITY

  const refused = (what: string, by: ThrottledBy) => {
    unlogged++
    const at = now()
    if (!log || at - loggedAt < 1000) return
    log(`throttled ${unlogged} request(s), the last ${what} over the ${by} limit (429 Too Many Requests)`)
    unlogged = 0
    loggedAt = at
  }

  return {
    /** A request for a route (a frame, `$connect`): whether it may invoke the route. */
    admitRoute(routeKey: string): Admission {
      let route = routes.get(routeKey)
      if (!route) {
        route = bucket(stage)
        routes.set(routeKey, route)
      }
      const by: ThrottledBy | undefined = !account.hasToken()
        ? 'account'
        : !route.hasToken()
          ? 'stage'
          : undefined
      if (by) {
        counts.routes[routeKey] = (counts.routes[routeKey] ?? 0) + 1
        refused(`a ${routeKey} request`, by)
        return { kind: 'throttled', by }
      }
      account.take()
      route.take()
      return ADMITTED
    },
    /** A `@connections` call (POST, GET or DELETE): whether it may be served. */
    admitManagementCall(): boolean {
      if (account.take()) return true
      counts.managementCalls++
      refused('an @connections call', 'account')
      return false
    },
    /** Requests refused so far. */
    throttled(): ThrottleCounts {
      return { routes: { ...counts.routes }, managementCalls: counts.managementCalls }
    },
  }
}

export type RequestLimits = ReturnType<typeof createRequestLimits>

/**
 * What API Gateway sends a client whose message it throttled, instead of invoking the route: an
 * error frame shaped like its other ones ("Forbidden", "Internal server error"), with the
 * connection and request ids.
 */
export function tooManyRequestsFrame(connectionId: string, requestId: string): string {
  return JSON.stringify({ message: 'Too Many Requests', connectionId, requestId })
}
