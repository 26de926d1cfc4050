import { createServer } from 'node:net'
import { CliError } from './errors.js'

/** A port held open until the gateway takes it over. */
export interface PortReservation {
  /** Frees the port for the gateway to bind (idempotent). */
  release(): Promise<void>
}

/**
 * Binds `host:port` before a command does anything else, so that a busy port is refused at once
 * with `cli.portInUse` — not after `dev` created the table, ran migrations and seeded fixtures.
 * The port stays bound until `release()`, just before the gateway listens on it, which leaves
 * only that instant for another process to take it (the gateway's own error is then the same).
 * Port 0 (any free port) needs no reservation.
 *
 * @example
 * const reservation = await reservePort('127.0.0.1', 3001)
 * // ... set up ...
 * await reservation.release()
 * await startGateway({ port: 3001, ... })
 */
export async function reservePort(host: string, port: number): Promise<PortReservation> {
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new CliError(
      'cli.usage',
      `--port must be an integer from 0 to 65535 (got ${port})`,
      'e.g. --port 3001',
    )
  }
  if (port === 0) return { release: async () => {} }
  const server = createServer()
  await new Promise<void>((listening, failed) => {
    server.once('error', (error) => failed(listenError(error, host, port)))
    server.listen({ port, host, exclusive: true }, () => listening())
  })
  let released: Promise<void> | undefined
  return {
    release() {
      released ??= new Promise<void>((done) => server.close(() => done()))
      return released
    },
  }
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
