import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { CliError } from './errors.js'
import { urlHost } from './gateway/urlHost.js'
import { isRunning, makeDirectory } from './localDynalite.js'
import type { PortReservation } from './port.js'

/** What `gateway.pid` holds: the gateway's process and where it answers HTTP. */
interface GatewayRecord {
  pid: number
  url: string
}

/**
 * One gateway per `--local` directory. Two gateways on one table each answer `@connections` for
 * their own connections only, and 410 (gone) for every other id, so a join through one of them
 * removed the members of the other (a second `npm start -- --port 3923` next to the first did).
 * The directory therefore records its gateway in `gateway.pid`, and a second `dev` or `serve` on
 * it is refused with `cli.gatewayRunning` before it sets anything up.
 *
 * The record counts only while its process is alive *and* something answers HTTP at its URL (the
 * port is held from the start, see `reservePort`, so a gateway still setting up answers too): a
 * file left by a crash, or naming a pid since reused, is taken over.
 *
 * @example
 * const gateway = await holdGatewayDirectory('.chatdb', 'http://127.0.0.1:3001')
 * // ... run the gateway ...
 * gateway.release()
 */
export async function holdGatewayDirectory(dir: string, url: string): Promise<{ release(): void }> {
  makeDirectory(dir)
  const file = join(dir, 'gateway.pid')
  const record = JSON.stringify({ pid: process.pid, url } satisfies GatewayRecord)
  try {
    writeFileSync(file, record, { flag: 'wx' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    const holder = readRecord(file)
    if (holder && holder.pid !== process.pid && isRunning(holder.pid) && (await answersHttp(holder.url))) {
      throw new CliError(
        'cli.gatewayRunning',
        `${dir} is served by another chatdb gateway (pid ${holder.pid}, ${holder.url})`,
        `use that one (open ${holder.url}), or stop it first; a second gateway needs a directory of its own: --local <dir>`,
      )
    }
    writeFileSync(file, record)
  }
  return {
    release() {
      // Only our own record: a later gateway may have taken over a file we no longer hold.
      if (readRecord(file)?.pid === process.pid) rmSync(file, { force: true })
    },
  }
}

function readRecord(file: string): GatewayRecord | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<GatewayRecord>
    return Number.isInteger(parsed.pid) && typeof parsed.url === 'string'
      ? (parsed as GatewayRecord)
      : undefined
  } catch {
    return undefined
  }
}

async function answersHttp(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000), redirect: 'manual' })
    await response.body?.cancel()
    return true
  } catch {
    return false
  }
}

/**
 * `holdGatewayDirectory` for a command that reserved `reservation`'s port on `host` and serves
 * the embedded dynalite in `dir` (nothing to hold without one); the reservation is freed when
 * the directory is refused.
 */
export async function holdGatewayOf(
  dir: string | undefined,
  host: string,
  reservation: PortReservation,
): Promise<{ release(): void }> {
  if (dir === undefined) return { release() {} }
  const url = `http://${urlHost(host)}:${reservation.port}/`
  return holdGatewayDirectory(resolve(dir), url).catch(async (error: unknown) => {
    await reservation.release()
    throw error
  })
}
