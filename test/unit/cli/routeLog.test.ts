import { afterEach, describe, expect, it, vi } from 'vitest'
import { createRouteSummary, routeLine } from '../../../cli/gateway/routeLog.js'

const invocation = (routeKey: string, statusCode = 200) => ({
  routeKey,
  connectionId: 'c1',
  statusCode,
  ms: 3,
})

describe('routeLine', () => {
  it('prints route, connection, status and milliseconds', () => {
    expect(routeLine({ routeKey: 'sendMessage', connectionId: 'abc=', statusCode: 200, ms: 12 })).toBe(
      'sendMessage abc= 200 12ms',
    )
  })
})

describe('createRouteSummary', () => {
  afterEach(() => vi.useRealTimers())

  it('logs one line per interval with the counts by route, most frequent first, only when something happened', () => {
    vi.useFakeTimers()
    const lines: string[] = []
    const summary = createRouteSummary({ log: (line) => lines.push(line), intervalMs: 10_000 })
    for (const route of ['sendMessage', 'subscribe', 'sendMessage', '$connect', 'sendMessage'])
      summary.record(invocation(route))
    summary.record(invocation('sendMessage', 400))
    expect(lines).toEqual([])
    vi.advanceTimersByTime(10_000)
    expect(lines).toEqual(['6 routes in the last 10 s: 4 sendMessage, 1 subscribe, 1 $connect; 1 not 200'])
    // A quiet interval prints nothing.
    vi.advanceTimersByTime(30_000)
    expect(lines).toHaveLength(1)
    summary.record(invocation('$disconnect'))
    vi.advanceTimersByTime(2_000)
    // Closing prints what is left, over the time since the last line.
    summary.close()
    expect(lines.at(-1)).toBe('1 route in the last 2 s: 1 $disconnect')
    vi.advanceTimersByTime(60_000)
    expect(lines).toHaveLength(2)
  })
})
