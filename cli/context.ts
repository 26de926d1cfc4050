import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { type ClientOptions, createDocumentClient } from '../src/client.js'
import { fromEnvironment } from '../src/config/fromEnvironment.js'
import { type ChatRepository, createChatRepository } from '../src/repository/chatRepository.js'
import { createTableStore, type TableStore } from '../src/repository/tableStore.js'
import { checkHttpUrl } from './checks.js'
import { CommandFailure } from './errors.js'
import { DEFAULT_LOCAL_DIR } from './localDir.js'
import { runningLocalEndpoint, startDynalite } from './localDynalite.js'
import { isLoopbackUrl, LOCAL_CREDENTIALS, LOCAL_REGION, loopbackIdentity } from './loopback.js'
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

export { DEFAULT_LOCAL_DIR } from './localDir.js'

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
  // The listing layout every process of the deployment shares (CHATDB_ROOM_LISTING_SHARDS); read
  // before anything starts, so a malformed value leaves no embedded dynalite running.
  const { roomListingShards, userHistoryShards, userHistoryReadShards } = fromEnvironment(process.env, [
    'roomListingShards',
    'userHistoryShards',
    'userHistoryReadShards',
  ])
  const output = createOutput({ json: options.json })
  // The SDK reads the profile from the environment, for credentials and region alike.
  if (options.profile) process.env.AWS_PROFILE = options.profile
  // Passed to the client only when given: otherwise the SDK applies its own endpoint variables
  // (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL); they are read here for error messages only.
  let endpoint = options.endpoint
  let endpointLabel = endpoint ?? process.env.AWS_ENDPOINT_URL_DYNAMODB ?? process.env.AWS_ENDPOINT_URL
  let region: ClientOptions['region'] = options.region
  let credentials: ClientOptions['credentials']
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
    region ??= LOCAL_REGION
    credentials = LOCAL_CREDENTIALS
    local = { dir, shared: running !== undefined }
  } else if (isLoopbackUrl(endpointLabel)) {
    // A DynamoDB on this machine (a running dev's dynalite, DynamoDB Local) needs no AWS account:
    // what the SDK finds is used, and stand-ins replace only what it would fail on.
    const identity = loopbackIdentity()
    region ??= identity.region
    credentials = identity.credentials
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
    roomListingShards,
    maxRoomsPerConnection: Number.POSITIVE_INFINITY,
    maxSubscribersPerRoom: Number.POSITIVE_INFINITY,
    // `inspect user` reads every history shard the deployment writes (docs/data-model.md).
    userHistoryShards,
    userHistoryReadShards,
  })
  return {
    tableName: options.table,
    documentClient,
    repository,
    store: createTableStore({ documentClient, tableName: options.table, roomListingShards }),
    output,
    endpoint: endpointLabel,
    local,
    async close() {
      documentClient.destroy()
      if (server) await new Promise<void>((done) => server.close(() => done()))
    },
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
