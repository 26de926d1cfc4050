import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { CliError } from './errors.js'
import { fromFlags } from './flagSettings.js'

/** A port held open until the gateway takes it over. */
export interface PortReservation {
  /** The port held: the one asked for, or the free one the system chose for port 0. */
  port: number
  /** Frees the port for the gateway to bind (idempotent), closing every connection made to it. */
  release(): Promise<void>
}

/** What a request during set-up gets: the gateway is not there yet, try again in a moment. */
const STARTING = 'chatdb is starting: try again in a moment\n'

/**
 * Binds `host:port` before a command does anything else, so that a busy port is refused at once
 * with `cli.portInUse` — not after `dev` created the table, ran migrations and seeded fixtures.
 * The port stays bound until `release()`, just before the gateway listens on it, which leaves
 * only that instant for another process to take it (the gateway's own error is then the same).
 * Port 0 takes a free port the same way, and the gateway then listens on that one (`port`).
 *
 * Whatever connects meanwhile (a chat page left open reconnecting, a refresh, a health check)
 * is answered at once and never holds start-up: an HTTP request gets `503` with `Retry-After`
 * and `Connection: close`, a WebSocket upgrade the same 503 (browsers then retry with their
 * backoff), and `release()` destroys every connection still open — a bare TCP connection that
 * never sends a byte included — instead of waiting for it as `server.close()` alone would.
 *
 * @example
 * const reservation = await reservePort('127.0.0.1', 3001)
 * // ... set up ...
 * await reservation.release()
 * await startGateway({ port: 3001, ... })
 */
export async function reservePort(host: string, port: number): Promise<PortReservation> {
  // As `--port` is read (a caller that skipped checkGatewayArgs gets the same usage error).
  fromFlags({ port }, {}, ['port'])
  const sockets = new Set<Socket>()
  const server = createServer(answerStarting)
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  server.on('upgrade', (_request: IncomingMessage, socket: Socket) => {
    socket.end(
      `HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(STARTING)}\r\nConnection: close\r\n\r\n${STARTING}`,
    )
  })
  // A malformed request gets no answer of ours; its socket just goes.
  server.on('clientError', (_error, socket: Socket) => socket.destroy())
  await new Promise<void>((listening, failed) => {
    server.once('error', (error) => failed(listenError(error, host, port)))
    server.listen({ port, host, exclusive: true }, () => listening())
  })
  let released: Promise<void> | undefined
  return {
    port: (server.address() as AddressInfo).port,
    release() {
      released ??= new Promise<void>((done) => {
        server.close(() => done())
        for (const socket of sockets) socket.destroy()
      })
      return released
    },
  }
}

function answerStarting(_request: IncomingMessage, response: ServerResponse): void {
  response.shouldKeepAlive = false
  response.writeHead(503, {
    'Retry-After': '1',
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(STARTING),
    Connection: 'close',
  })
  response.end(STARTING)
}

/** `listen` failures as the CLI reports them (anything else stays as it is). */
export function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  if (code === 'EADDRINUSE') {
    return new CliError(
      'cli.portInUse',
      `port ${port} on ${host} is in use by another process`,
      'stop it (another chatdb dev or serve?), or pass another --port (--port 0 picks a free one)',
      { cause: error },
    )
  }
  if (code === 'EACCES' || code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new CliError(
      'cli.listen',
      `cannot listen on ${host}:${port} (${code})`,
      code === 'EACCES'
        ? 'ports below 1024 need privileges: pass --port 3001 or another above 1023'
        : 'pass an address of this machine: --host 127.0.0.1 (or 0.0.0.0 for every interface)',
      { cause: error },
    )
  }
  return error
}
