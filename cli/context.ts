import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join, resolve } from 'node:path'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { createDocumentClient } from '../src/client.js'
import { type ChatRepository, createChatRepository } from '../src/repository/chatRepository.js'
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
// default three attempts with no connection timeout.
const MAX_ATTEMPTS = 2
const TIMEOUT_MS = 2_000

/**
 * Everything a command needs, from the global options: an embedded dynalite for `--local`,
 * a document client and the repository. `close()` destroys the client and stops dynalite.
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
    const running = runningLocalEndpoint(dir)
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
  const documentClient = createDocumentClient({
    endpoint,
    region,
    credentials,
    maxAttempts: MAX_ATTEMPTS,
    requestTimeoutMs: TIMEOUT_MS,
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
  try {
    mkdirSync(dir, { recursive: true })
  } catch (error) {
    throw new CliError(
      'cli.local',
      `cannot create ${dir}: ${(error as Error).message}`,
      'pass a writable directory: --local <dir>',
    )
  }
  const releaseLock = lockDirectory(dir)
  // Loaded only for --local: most commands talk to a DynamoDB elsewhere.
  const { default: dynalite } = await import('dynalite')
  const server = dynalite({ path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
  const endpointFile = join(dir, ENDPOINT_FILE)
  server.once('close', () => {
    rmSync(endpointFile, { force: true })
    releaseLock()
  })
  await new Promise<void>((listening, failed) => {
    server.once('error', failed)
    server.listen(0, '127.0.0.1', () => listening())
  })
  // Beside the pid file: where other chatdb processes on this directory find this dynalite.
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  writeFileSync(endpointFile, `${JSON.stringify({ pid: process.pid, endpoint })}\n`)
  return server
}

/** Written by the process holding a `--local` directory: `{ pid, endpoint }` of its dynalite. */
export const ENDPOINT_FILE = 'chatdb.endpoint.json'

/**
 * The endpoint of the dynalite another live chatdb process serves from `dir`, if one does: its
 * pid file names a running process other than this one, and its endpoint file names the same pid
 * (a file left by a process that died, or by an earlier holder, does not count).
 */
export function runningLocalEndpoint(dir: string): string | undefined {
  let holder: number
  let written: { pid?: unknown; endpoint?: unknown }
  try {
    holder = Number(readFileSync(join(dir, 'chatdb.pid'), 'utf8'))
    written = JSON.parse(readFileSync(join(dir, ENDPOINT_FILE), 'utf8')) as typeof written
  } catch {
    return undefined
  }
  const live = Number.isInteger(holder) && holder !== process.pid && isRunning(holder)
  return live && written.pid === holder && typeof written.endpoint === 'string' ? written.endpoint : undefined
}

/**
 * LevelDB lets one process open a directory; a second dynalite on it fails on every request
 * with an uncatchable "Database is closed". A pid file turns that into a clear error up front
 * (a pid file left by a process that died is taken over).
 */
function lockDirectory(dir: string): () => void {
  const file = join(dir, 'chatdb.pid')
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' })
  } catch {
    const holder = Number(readFileSync(file, 'utf8'))
    if (Number.isInteger(holder) && holder !== process.pid && isRunning(holder)) {
      throw new CliError(
        'cli.local',
        `${dir} is in use by another chatdb process (pid ${holder})`,
        'stop that process (chatdb dev or serve), or pass another directory: --local <dir>',
      )
    }
    writeFileSync(file, String(process.pid))
  }
  return () => rmSync(file, { force: true })
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
