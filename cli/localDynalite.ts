import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { CliError } from './errors.js'

/**
 * The embedded dynalite behind `--local`: one process opens a directory (LevelDB's rule), holds it
 * with a pid file that records its dynalite's port, and every other chatdb process on the same
 * directory connects to that dynalite instead of opening the directory itself.
 */

export async function startDynalite(dir: string): Promise<Server> {
  const unusable = (error: unknown, what: string) =>
    new CliError(
      'cli.local',
      `cannot ${what} ${dir}: ${(error as Error).message}`,
      'pass a writable directory: --local <dir>',
      { cause: error },
    )
  try {
    makeDirectory(dir)
  } catch (error) {
    throw unusable(error, 'create')
  }
  const lock = await lockDirectory(dir).catch((error) => {
    throw error instanceof CliError ? error : unusable(error, 'write to')
  })
  // Loaded only for --local: most commands talk to a DynamoDB elsewhere.
  const { default: dynalite } = await import('dynalite')
  const server = dynalite({ path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
  server.once('close', lock.release)
  await new Promise<void>((listening, failed) => {
    server.once('error', failed)
    server.listen(0, '127.0.0.1', () => listening())
  })
  // The port goes into the pid file: other chatdb processes on this directory connect to it.
  lock.listening((server.address() as AddressInfo).port)
  return server
}

/**
 * The endpoint of the dynalite another live chatdb process serves from `dir`, if one does: its
 * pid file names a running process other than this one, with the port where a DynamoDB answers
 * (a file left by a process that died, or whose pid was reused, does not count).
 */
export async function runningLocalEndpoint(dir: string): Promise<string | undefined> {
  const holder = readLock(join(dir, 'chatdb.pid'))
  if (!holder || holder.pid === process.pid || holder.port === undefined || !isRunning(holder.pid))
    return undefined
  return (await answersAsDynamo(holder.port)) ? `http://127.0.0.1:${holder.port}` : undefined
}

/**
 * mkdir -p, one level at a time: Node's recursive mkdirSync never returns when the kernel answers
 * ENOENT for a parent that exists (`--local /proc/x` hung instead of failing).
 */
export function makeDirectory(dir: string): void {
  try {
    mkdirSync(dir)
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException
    if (code === 'EEXIST' && statSync(dir).isDirectory()) return
    if (code !== 'ENOENT' || dirname(dir) === dir) throw error
    makeDirectory(dirname(dir))
    mkdirSync(dir)
  }
}

/** What `chatdb.pid` holds: the holder's pid and, once it listens, its dynalite's port. */
interface LockRecord {
  pid: number
  port?: number | undefined
}

/** How long a holder may take from writing its pid file to listening (it writes its port then). */
const STARTUP_GRACE_MS = 10_000

/**
 * LevelDB lets one process open a directory; a second dynalite on it fails on every request
 * with an uncatchable "Database is closed". A pid file turns that into a clear error up front.
 *
 * A pid alone is not proof: after a crash or a reboot the recorded pid may belong to any other
 * process, and the directory would stay locked forever. So the file also records the port of the
 * holder's dynalite, and the directory counts as held only while that pid is alive *and* a
 * DynamoDB answers on that port. A file without a port (its holder is starting, or it was written
 * by an older chatdb) counts as held for STARTUP_GRACE_MS after it was written. Anything else is
 * stale and taken over.
 */
async function lockDirectory(dir: string): Promise<{ release(): void; listening(port: number): void }> {
  const file = join(dir, 'chatdb.pid')
  const write = (record: LockRecord, flag = 'w') => writeFileSync(file, JSON.stringify(record), { flag })
  try {
    write({ pid: process.pid }, 'wx')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    const holder = readLock(file)
    // An unreadable file is taken for one being written, while it is fresh.
    if (holder ? holder.pid !== process.pid && (await isHeld(holder, file)) : isFresh(file)) {
      throw new CliError(
        'cli.local',
        `${dir} is in use by another chatdb process (pid ${holder?.pid ?? 'unknown'})`,
        'stop that process (chatdb dev or serve), or pass another directory: --local <dir>',
      )
    }
    write({ pid: process.pid })
  }
  return {
    release: () => rmSync(file, { force: true }),
    // Replaced whole (rename is atomic): a reader never sees a half-written record.
    listening: (port) => {
      const next = `${file}.${process.pid}`
      writeFileSync(next, JSON.stringify({ pid: process.pid, port } satisfies LockRecord))
      renameSync(next, file)
    },
  }
}

/** The pid file's record; a bare number is an older chatdb's. Undefined when unreadable. */
function readLock(file: string): LockRecord | undefined {
  try {
    const text = readFileSync(file, 'utf8').trim()
    const parsed = /^\d+$/.test(text) ? { pid: Number(text) } : (JSON.parse(text) as LockRecord)
    return Number.isInteger(parsed.pid) ? parsed : undefined
  } catch {
    return undefined
  }
}

async function isHeld(holder: LockRecord, file: string): Promise<boolean> {
  if (!isRunning(holder.pid)) return false
  if (holder.port === undefined) return isFresh(file)
  return answersAsDynamo(holder.port)
}

function isFresh(file: string): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs < STARTUP_GRACE_MS
  } catch {
    return false
  }
}

/** Whether a DynamoDB (dynalite) answers on 127.0.0.1:port: any JSON answer with a request id. */
async function answersAsDynamo(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: {
        'x-amz-target': 'DynamoDB_20120810.ListTables',
        'content-type': 'application/x-amz-json-1.0',
      },
      body: '{}',
      signal: AbortSignal.timeout(2_000),
    })
    await response.body?.cancel()
    return (
      response.headers.get('content-type') === 'application/x-amz-json-1.0' &&
      response.headers.has('x-amzn-requestid')
    )
  } catch {
    return false
  }
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
