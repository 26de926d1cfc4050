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
}

type Request = { id: number; kind: 'stats' | 'reset' }
type Reply = { id: number; stats: EndpointStats }

/**
 * An `@connections` endpoint that answers each POST after `latencyMs`, like API Gateway does from
 * a Lambda (~30 ms), run in a child process: on a 2-core machine its HTTP parsing would otherwise
 * share the event loop (and the CPU figures) of the client being measured.
 */
export async function startSlowConnectionsEndpoint(latencyMs: number) {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--serve', String(latencyMs)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  })
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

/** The child: an HTTP server that reads each POST, waits, answers 200, and counts. */
function serve(latencyMs: number) {
  let posts = 0
  let inFlight = 0
  let maxInFlight = 0
  let cpuSince = process.cpuUsage()
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
      setTimeout(() => {
        inFlight--
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
    const stats = { posts, maxInFlight, cpuMs: (cpu.user + cpu.system) / 1000 }
    if (kind === 'reset') {
      posts = 0
      maxInFlight = inFlight
      cpuSince = process.cpuUsage()
    }
    process.send?.({ id, stats } satisfies Reply)
  })
  // The parent's death ends the endpoint too (the IPC channel closes).
  process.on('disconnect', () => process.exit(0))
}

if (process.argv[2] === '--serve') serve(Number(process.argv[3]))
