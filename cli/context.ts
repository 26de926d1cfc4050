import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { createDocumentClient } from '../src/client.js'
import { type ChatRepository, createChatRepository } from '../src/repository/chatRepository.js'
import { createTableStore, type TableStore } from '../src/repository/tableStore.js'
import { checkHttpUrl } from './checks.js'
import { CliError, CommandFailure } from './errors.js'
import { createOutput, type Output } from './output.js'

/** Options every command takes (cli/configure.ts declares them). */
export interface GlobalOptions {
  table: string
  endpoint?: string | undefined
  region?: string | undefined
  profile?: string | undefined
  /** Directory of the embedded dynalite; undefined when --local was not given. */
  local?: string | undefined
  json: boolean
  debug: boolean
  yes: boolean
}

/** The default directory of the embedded dynalite (`--local` without a value, and `dev`). */
export const DEFAULT_LOCAL_DIR = '.chatdb'

export interface CliContext {
  tableName: string
  documentClient: DynamoDBDocumentClient
  repository: ChatRepository
  /** Table-wide reads and writes (Scans, raw items) for the operator commands. */
  store: TableStore
  output: Output
  /** The DynamoDB endpoint in use, when not AWS's (for messages). */
  endpoint: string | undefined
  /**
   * Set when running against the embedded dynalite: started by this process, or (`shared`) the
   * one a running `chatdb dev`/`serve` holds on the same directory.
   */
  local: { dir: string; shared: boolean } | undefined
  close(): Promise<void>
}

// Bounded so that an unreachable endpoint fails within seconds rather than after the SDK's
// default three attempts with no timeout: a connection that is not made in 2 s is given up.
// An answer gets longer (10 s): `serve` and `dev` share this client between every local
// connection, and the timer also runs while a request waits for a pooled socket under load.
const MAX_ATTEMPTS = 2
const CONNECTION_TIMEOUT_MS = 2_000
const TIMEOUT_MS = 10_000

/**
 * Everything a command needs, from the global options: an embedded dynalite for `--local`,
 * a document client, the repository and the table store. `close()` destroys the client and stops dynalite.
 */
export async function openContext(options: GlobalOptions): Promise<CliContext> {
  const output = createOutput({ json: options.json })
  // The SDK reads the profile from the environment, for credentials and region alike.
  if (options.profile) process.env.AWS_PROFILE = options.profile
  // Passed to the client only when given: otherwise the SDK applies its own endpoint variables
  // (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL); they are read here for error messages only.
  let endpoint = options.endpoint
  let endpointLabel = endpoint ?? process.env.AWS_ENDPOINT_URL_DYNAMODB ?? process.env.AWS_ENDPOINT_URL
  let region = options.region
  let credentials: { accessKeyId: string; secretAccessKey: string } | undefined
  let server: Server | undefined
  let local: { dir: string; shared: boolean } | undefined
  if (options.local !== undefined) {
    const dir = resolve(options.local || DEFAULT_LOCAL_DIR)
    // A running dev (or serve, or any command) holding the directory is asked, not refused:
    // LevelDB admits one process, but that process's dynalite admits everyone.
    const running = await runningLocalEndpoint(dir)
    if (running) {
      endpoint = running
    } else {
      server = await startDynalite(dir)
      endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    }
    endpointLabel = endpoint
    // dynalite checks neither signatures nor regions; the SDK still wants both.
    region ??= 'local'
    credentials = { accessKeyId: 'local', secretAccessKey: 'local' }
    local = { dir, shared: running !== undefined }
  }
  if (endpoint === undefined) {
    // The SDK reads these itself, and fails on a malformed one with a bare "Invalid URL".
    for (const variable of ['AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL'])
      checkHttpUrl(variable, process.env[variable] || undefined, `${variable}=http://127.0.0.1:8000`)
  }
  const documentClient = createDocumentClient({
    endpoint,
    region,
    credentials,
    maxAttempts: MAX_ATTEMPTS,
    requestTimeoutMs: TIMEOUT_MS,
    connectionTimeoutMs: CONNECTION_TIMEOUT_MS,
  })
  // The caps guard the protocol against abusive clients; an operator seeding or repairing a
  // table is not one, and a generated dataset may put a user in more rooms than a client may join.
  const repository = createChatRepository({
    documentClient,
    tableName: options.table,
    maxRoomsPerConnection: Number.POSITIVE_INFINITY,
    maxSubscribersPerRoom: Number.POSITIVE_INFINITY,
  })
  return {
    tableName: options.table,
    documentClient,
    repository,
    store: createTableStore({ documentClient, tableName: options.table }),
    output,
    endpoint: endpointLabel,
    local,
    async close() {
      documentClient.destroy()
      if (server) await new Promise<void>((done) => server.close(() => done()))
    },
  }
}

async function startDynalite(dir: string): Promise<Server> {
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
function makeDirectory(dir: string): void {
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

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * The body of every command: open the context, run `body`, close the context whatever happens.
 * `body` may return an exit code (a command that printed its result but must still fail).
 */
export async function withContext(
  options: GlobalOptions,
  body: (context: CliContext) => Promise<unknown>,
): Promise<void> {
  let context: CliContext | undefined
  try {
    context = await openContext(options)
    const exitCode = await body(context)
    if (typeof exitCode === 'number' && exitCode !== 0) process.exitCode = exitCode
  } catch (error) {
    throw new CommandFailure(error, {
      tableName: options.table,
      endpoint: context?.endpoint ?? options.endpoint,
      localDir: context?.local?.dir,
    })
  } finally {
    await context?.close()
  }
}
