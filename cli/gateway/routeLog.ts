/** One route invocation of the local gateway, as it is logged. */
export interface RouteInvocation {
  routeKey: string
  connectionId: string
  statusCode: number
  ms: number
}

/** `sendMessage 3f2a… 200 12ms`: the gateway's line for one invocation (`serve --verbose`). */
export const routeLine = ({ routeKey, connectionId, statusCode, ms }: RouteInvocation): string =>
  `${routeKey} ${connectionId} ${statusCode} ${ms}ms`

export interface RouteSummary {
  record(invocation: RouteInvocation): void
  /** Logs what was recorded since the last line (nothing when nothing was) and stops the timer. */
  close(): void
}

/** How often `createRouteSummary` logs, when something happened. */
export const ROUTE_SUMMARY_INTERVAL_MS = 10_000

/**
 * One line every `intervalMs` instead of one per invocation, only when something happened:
 * `12 routes in the last 10 s: 8 sendMessage, 3 subscribe, 1 $connect` (most frequent first),
 * with `; 2 not 200` when some answered otherwise. A chat page in a browser sends frames all the
 * time; a line each buries everything else the terminal says.
 *
 * @example
 * const summary = createRouteSummary({ log: console.log })
 * summary.record({ routeKey: 'sendMessage', connectionId: 'abc', statusCode: 200, ms: 12 })
 * summary.close() // "1 route in the last 0 s: 1 sendMessage"
 */
export function createRouteSummary({
  log,
  intervalMs = ROUTE_SUMMARY_INTERVAL_MS,
  now = Date.now,
}: {
  log: (line: string) => void
  intervalMs?: number
  now?: () => number
}): RouteSummary {
  let since = now()
  let byRoute = new Map<string, number>()
  let total = 0
  let failed = 0
  const flush = () => {
    if (total > 0) {
      const counts = [...byRoute].sort((a, b) => b[1] - a[1]).map(([route, n]) => `${n} ${route}`)
      const seconds = Math.round((now() - since) / 1000)
      log(
        `${total} route${total === 1 ? '' : 's'} in the last ${seconds} s: ${counts.join(', ')}${failed > 0 ? `; ${failed} not 200` : ''}`,
      )
    }
    since = now()
    byRoute = new Map()
    total = 0
    failed = 0
  }
  const timer = setInterval(flush, intervalMs)
  // The summary never keeps the process alive: the gateway does, as long as it runs.
  timer.unref()
  return {
    record({ routeKey, statusCode }) {
      byRoute.set(routeKey, (byRoute.get(routeKey) ?? 0) + 1)
      total++
      if (statusCode !== 200) failed++
    },
    close() {
      clearInterval(timer)
      flush()
    },
  }
}
