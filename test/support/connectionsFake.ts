import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ServerFrame } from '../../src/protocol/frames.js'
import { prng } from './scan.js'

export interface ConnectionsFakeOptions {
  /** Holds each POST this long before answering, so concurrency can be observed. */
  delayMs?: number
  /**
   * Transient faults: this share of POST attempts (seeded, deterministic per run order) answers
   * 429 or 500 instead of delivering. The same frame to the same connection fails at most twice
   * in a row, so the SDK's three attempts always get it through, as they do against a healthy
   * API Gateway that throttles now and then.
   */
  faults?: { rate: number; seed?: number }
}

/**
 * A local HTTP stand-in for API Gateway's `@connections` API, for the real management SDK
 * client: records every frame POSTed per connection id, answers 410 GoneException for ids it
 * is told are gone, 500 for ids told to fail, and counts posts in flight.
 */
export async function startConnectionsFake(options: ConnectionsFakeOptions = {}) {
  const frames = new Map<string, ServerFrame[]>()
  const bytes: number[] = []
  const gone = new Set<string>()
  const failing = new Set<string>()
  const random = prng(options.faults?.seed ?? 1)
  const attempts = new Map<string, number>()
  let faultsInjected = 0
  let inFlight = 0
  let maxInFlight = 0
  // While holding, each POST waits here until the test releases it.
  let held: (() => void)[] | undefined
  let posts = 0

  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', async () => {
      const match = /\/@connections\/([^/?]+)$/.exec(request.url ?? '')
      const id = match ? decodeURIComponent(match[1] as string) : undefined
      if (!id || request.method !== 'POST') {
        response.writeHead(404).end()
        return
      }
      posts++
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      if (held) await new Promise<void>((resolve) => held?.push(resolve))
      else if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs))
      inFlight--
      if (gone.has(id)) {
        response.writeHead(410, { 'content-type': 'application/json', 'x-amzn-errortype': 'GoneException' })
        response.end('{"message":"Gone"}')
        return
      }
      if (failing.has(id)) {
        response.writeHead(500, {
          'content-type': 'application/json',
          'x-amzn-errortype': 'InternalServerError',
        })
        response.end('{"message":"Internal server error"}')
        return
      }
      const body = Buffer.concat(chunks)
      if (options.faults) {
        const key = `${id}\u0000${body.toString('utf8')}`
        const attempt = attempts.get(key) ?? 0
        attempts.set(key, attempt + 1)
        if (attempt < 2 && random.next() < options.faults.rate) {
          faultsInjected++
          const throttled = random.next() < 0.5
          response.writeHead(throttled ? 429 : 500, {
            'content-type': 'application/json',
            'x-amzn-errortype': throttled ? 'LimitExceededException' : 'InternalServerError',
          })
          response.end(`{"message":"injected ${throttled ? 'throttling' : 'internal error'}"}`)
          return
        }
        attempts.delete(key)
      }
      bytes.push(body.length)
      const list = frames.get(id) ?? []
      list.push(JSON.parse(body.toString('utf8')) as ServerFrame)
      frames.set(id, list)
      response.writeHead(200).end()
    })
  })
  // TCP connections accepted: with keep-alive, a pool opens one per socket and then reuses it.
  let connections = 0
  server.on('connection', () => connections++)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    endpoint: `http://127.0.0.1:${port}`,
    /** Frames delivered to `connectionId`, in arrival order. */
    framesFor: (connectionId: string): ServerFrame[] => frames.get(connectionId) ?? [],
    /** Every connection id that received something. */
    recipients: () => [...frames.keys()],
    /** Sizes in bytes of every delivered body. */
    bodySizes: () => [...bytes],
    markGone: (...ids: string[]) => {
      for (const id of ids) gone.add(id)
    },
    markFailing: (...ids: string[]) => {
      for (const id of ids) failing.add(id)
    },
    posts: () => posts,
    /** Transient faults answered so far. */
    faultsInjected: () => faultsInjected,
    maxInFlight: () => maxInFlight,
    /** TCP connections accepted since the fake started (not reset by `clear`). */
    connections: () => connections,
    /** POSTs received and not answered yet. */
    inFlight: () => inFlight,
    /** From now on, POSTs are answered only when released (so tests count them in flight, not time them). */
    hold: () => {
      held ??= []
    },
    /** Answers the `count` oldest held POSTs; later ones are still held. */
    release: (count: number) => {
      for (const answer of held?.splice(0, count) ?? []) answer()
    },
    /** Answers every held POST and stops holding. */
    unhold: () => {
      const waiting = held ?? []
      held = undefined
      for (const answer of waiting) answer()
    },
    /** Forgets recorded frames and counters (not the gone/failing ids). */
    clear: () => {
      frames.clear()
      bytes.length = 0
      posts = 0
      maxInFlight = 0
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

export type ConnectionsFake = Awaited<ReturnType<typeof startConnectionsFake>>
