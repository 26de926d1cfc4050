import { type ChildProcess, fork } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'

/** What the endpoint process reports when asked. */
export interface EndpointStats {
  posts: number
  /** Most posts held at once since the last reset. */
  maxInFlight: number
  /** CPU the endpoint process spent since the last reset (ms, user + system). */
  cpuMs: number
  /** Posts answered 429 since the last reset: the account quota was spent. */
  throttled: number
  /** Distinct connections posted to successfully since the last reset. */
  distinct: number
  /** Epoch ms of the last successful post's answer since the last reset (0: none). */
  lastDeliveredAt: number
}

/**
 * API Gateway's account-wide request quota as a token bucket (AWS: 10,000 requests/s, burst
 * 5,000, shared by every API of the account and Region): a post that finds it empty is answered
 * 429 `LimitExceededException`, as API Gateway answers a throttled PostToConnection.
 */
export interface PostQuota {
  perSecond: number
  burst: number
}

type Request = { id: number; kind: 'stats' | 'reset' }
type Reply = { id: number; stats: EndpointStats }

/**
 * An `@connections` endpoint that answers each POST after `latencyMs`, like API Gateway does from
 * a Lambda (~30 ms), run in a child process: on a 2-core machine its HTTP parsing would otherwise
 * share the event loop (and the CPU figures) of the client being measured.
 */
export async function startSlowConnectionsEndpoint(latencyMs: number, quota?: PostQuota) {
  const quotaArgs = quota ? [String(quota.perSecond), String(quota.burst)] : []
  const child: ChildProcess = fork(
    fileURLToPath(import.meta.url),
    ['--serve', String(latencyMs), ...quotaArgs],
    {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    },
  )
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { port: number }).port))
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`the @connections endpoint exited (${code})`)))
  })
  let nextId = 0
  const pending = new Map<number, (stats: EndpointStats) => void>()
  child.on('message', (message) => {
    const { id, stats } = message as Reply
    pending.get(id)?.(stats)
    pending.delete(id)
  })
  const ask = (kind: Request['kind']) =>
    new Promise<EndpointStats>((resolve) => {
      const id = nextId++
      pending.set(id, resolve)
      child.send({ id, kind } satisfies Request)
    })
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats: () => ask('stats'),
    reset: () => ask('reset'),
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve())
        child.kill()
      }),
  }
}

export type SlowConnectionsEndpoint = Awaited<ReturnType<typeof startSlowConnectionsEndpoint>>

/**
 * The child: an HTTP server that reads each POST, waits, answers 200, and counts. With a quota,
 * a post that finds the bucket empty waits as long and is answered 429 instead (API Gateway
 * throttles at its edge, but the round trip is paid either way).
 */
function serve(latencyMs: number, quota?: PostQuota) {
  let posts = 0
  let inFlight = 0
  let maxInFlight = 0
  let throttled = 0
  let delivered = new Set<string>()
  let lastDeliveredAt = 0
  let cpuSince = process.cpuUsage()
  let tokens = quota?.burst ?? 0
  let filledAt = performance.now()
  /** Takes a token if the bucket holds one (refilled continuously at the quota's rate). */
  const admit = () => {
    if (!quota) return true
    const now = performance.now()
    tokens = Math.min(quota.burst, tokens + ((now - filledAt) / 1000) * quota.perSecond)
    filledAt = now
    if (tokens < 1) return false
    tokens -= 1
    return true
  }
  const server = createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      if (request.method !== 'POST') {
        response.writeHead(404).end()
        return
      }
      posts++
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      const admitted = admit()
      setTimeout(() => {
        inFlight--
        if (!admitted) {
          throttled++
          response
            .writeHead(429, {
              'content-type': 'application/json',
              'x-amzn-errortype': 'LimitExceededException',
            })
            .end(JSON.stringify({ message: 'Limit Exceeded' }))
          return
        }
        delivered.add(request.url ?? '')
        lastDeliveredAt = Date.now()
        response.writeHead(200).end()
      }, latencyMs)
    })
  })
  server.keepAliveTimeout = 60_000
  server.maxRequestsPerSocket = 0
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }))
  process.on('message', (message) => {
    const { id, kind } = message as Request
    const cpu = process.cpuUsage(cpuSince)
    const stats = {
      posts,
      maxInFlight,
      cpuMs: (cpu.user + cpu.system) / 1000,
      throttled,
      distinct: delivered.size,
      lastDeliveredAt,
    }
    if (kind === 'reset') {
      posts = 0
      throttled = 0
      delivered = new Set()
      lastDeliveredAt = 0
      maxInFlight = inFlight
      cpuSince = process.cpuUsage()
    }
    process.send?.({ id, stats } satisfies Reply)
  })
  // The parent's death ends the endpoint too (the IPC channel closes).
  process.on('disconnect', () => process.exit(0))
}

if (process.argv[2] === '--serve') {
  const [latency, perSecond, burst] = process.argv.slice(3).map(Number)
  serve(latency ?? 0, perSecond === undefined ? undefined : { perSecond, burst: burst ?? perSecond })
}
