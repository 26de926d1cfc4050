import type { CommandModule } from 'yargs'
import { findTable } from '../../src/admin/tableAdmin.js'
import type { Environment } from '../../src/config/fromEnvironment.js'
import {
  DEFAULT_LARGE_ROOM_SHARDS,
  DEFAULT_LARGE_ROOM_THRESHOLD,
  DEFAULT_POST_CONCURRENCY,
} from '../../src/config/settings.js'
import { ChatDbError } from '../../src/errors.js'
import { type CliContext, DEFAULT_LOCAL_DIR, type GlobalOptions, withContext } from '../context.js'
import { CliError } from '../errors.js'
import { CLI_SETTINGS, fromFlags } from '../flagSettings.js'
import { limitForJson } from '../gateway/connectionLifetime.js'
import { DEFAULT_MAX_QUEUED_FRAMES, GATEWAY_MANAGEMENT_MAX_SOCKETS } from '../gateway/limits.js'
import { isLoopbackHost, normaliseHostName, normaliseOrigin } from '../gateway/requestGuard.js'
import { createRouteSummary, ROUTE_SUMMARY_INTERVAL_MS } from '../gateway/routeLog.js'
import type { Gateway } from '../gateway/startGateway.js'
import { holdGatewayOf } from '../gatewayLock.js'
import { cliInvocation } from '../invocation.js'
import { listenError, type PortReservation, reservePort } from '../port.js'
import { connectionLimitOptions, connectionLimits } from './connectionLimitFlags.js'
import { describeThrottle, type ThrottleArgs, throttleOptions, throttleSettings } from './throttleFlags.js'

export interface GatewayArgs extends GlobalOptions {
  port: number
  host: string
  maxQueuedFrames: number
  /** API Gateway's idle timeout and connection duration, as durations (see `connectionLimits`). */
  idleTimeout: string
  maxConnectionAge: string
  /** Unset: `CHATDB_BROADCAST_CONCURRENCY`, else the library's default (see `gatewaySettings`). */
  broadcastConcurrency?: number
  /** Unset: `CHATDB_MANAGEMENT_MAX_SOCKETS`, else {@link GATEWAY_MANAGEMENT_MAX_SOCKETS}. */
  managementMaxSockets?: number
  /** Unset: `CHATDB_LARGE_ROOM_THRESHOLD`, else 1,000 (see `gatewaySettings`). */
  largeRoomThreshold?: string
  /** Unset: `CHATDB_LARGE_ROOM_SHARDS`, else 64. */
  largeRoomShards?: string
  /** Page origins that may open a WebSocket besides the gateway's own page. */
  allowOrigin?: string[]
  /** Host names the gateway answers to besides its address and localhost. */
  allowHost?: string[]
  /** API Gateway's request limits (see `throttleSettings`); unset: AWS's numbers. */
  accountRate?: string
  accountBurst?: string
  stageRate?: string
  stageBurst?: string
  /** A log line per route invocation, instead of a summary every 10 s. */
  verbose: boolean
}

export const DEFAULT_PORT = CLI_SETTINGS.port.default

/** --port and --host, shared by `serve` and `dev`. */
export const gatewayOptions = {
  port: {
    type: 'number',
    default: DEFAULT_PORT,
    describe: 'Port of the WebSocket server and @connections API (0: any free port)',
  },
  host: { type: 'string', default: '127.0.0.1', describe: 'Address to listen on' },
  'allow-origin': {
    type: 'string',
    array: true,
    describe:
      "A web page origin that may open WebSockets besides the gateway's own page, e.g. http://localhost:5173 (repeatable)",
  },
  'allow-host': {
    type: 'string',
    array: true,
    describe:
      'A host name the gateway answers to besides its address and localhost, e.g. devbox.local (repeatable; other names get 421)',
  },
  'max-queued-frames': {
    type: 'number',
    default: DEFAULT_MAX_QUEUED_FRAMES,
    describe: 'Frames a connection may have waiting; one more closes it with 1013 (try again later)',
  },
  ...connectionLimitOptions,
  'broadcast-concurrency': {
    type: 'number',
    defaultDescription: `$CHATDB_BROADCAST_CONCURRENCY or ${DEFAULT_POST_CONCURRENCY}`,
    describe: 'Posts in flight per broadcast (as in the Lambda handlers)',
  },
  'management-max-sockets': {
    type: 'number',
    defaultDescription: `$CHATDB_MANAGEMENT_MAX_SOCKETS or ${GATEWAY_MANAGEMENT_MAX_SOCKETS}`,
    describe: "Keep-alive sockets of the handlers' @connections client, shared by every connection",
  },
  // Strings: yargs would turn `off` into NaN; fromFlags reads them as the Lambda reads its variables.
  'large-room-threshold': {
    type: 'string',
    defaultDescription: `$CHATDB_LARGE_ROOM_THRESHOLD or ${DEFAULT_LARGE_ROOM_THRESHOLD}`,
    describe:
      'Subscribers at which a room becomes large: sharded, its broadcasts through the in-process fan-out queue (off: never)',
  },
  'large-room-shards': {
    type: 'string',
    defaultDescription: `$CHATDB_LARGE_ROOM_SHARDS or ${DEFAULT_LARGE_ROOM_SHARDS}`,
    describe: 'Subscription shards of a room that becomes large',
  },
  ...throttleOptions,
  verbose: {
    type: 'boolean',
    default: false,
    describe: `Log every route invocation (route, connection, status, ms); without it, a summary every ${ROUTE_SUMMARY_INTERVAL_MS / 1000} s when something happened`,
  },
} as const

/**
 * The gateway's settings from its flags, each the flag, else the variable the Lambda handlers
 * read, else the default (`fromFlags`, src/config/settings.ts). The gateway's sockets default
 * higher than a Lambda's: here one client serves every connection's invocations at once, where a
 * Lambda runs one invocation at a time.
 */
export function gatewaySettings(args: object, env: Environment = process.env) {
  const { postConcurrency, managementMaxSockets, ...settings } = fromFlags(args, env, [
    'port',
    'maxQueuedFrames',
    'postConcurrency',
    'managementMaxSockets',
    'largeRoomThreshold',
    'largeRoomShards',
  ])
  return {
    ...settings,
    broadcastConcurrency: postConcurrency,
    managementMaxSockets: managementMaxSockets ?? GATEWAY_MANAGEMENT_MAX_SOCKETS,
    ...throttleSettings(args, env),
    ...connectionLimits(args, env),
  }
}

/**
 * yargs checks that --port is a number (configure.ts: NaN is a usage error), not that it is a
 * port: 99999 would only fail once dynalite and the table are up, as an internal RangeError.
 * Checked before the handler runs, so `dev` refuses them before it sets anything up.
 */
export function checkGatewayArgs(
  args: ThrottleArgs & {
    port: number
    'max-queued-frames': number
    'idle-timeout'?: string
    'max-connection-age'?: string
    'broadcast-concurrency'?: number
    'management-max-sockets'?: number
    'large-room-threshold'?: string
    'large-room-shards'?: string
    'allow-origin'?: string[]
    'allow-host'?: string[]
  },
): true {
  for (const origin of args['allow-origin'] ?? []) {
    if (!normaliseOrigin(String(origin))) {
      throw new CliError(
        'cli.usage',
        `--allow-origin must be a page origin (scheme://host[:port], no path), got ${JSON.stringify(String(origin))}`,
        'e.g. --allow-origin http://localhost:5173',
      )
    }
  }
  for (const name of args['allow-host'] ?? []) {
    if (!normaliseHostName(String(name))) {
      throw new CliError(
        'cli.usage',
        `--allow-host must be a host name (no scheme, no port), got ${JSON.stringify(String(name))}`,
        'e.g. --allow-host devbox.local',
      )
    }
  }
  gatewaySettings(args)
  return true
}

export const serveCommand: CommandModule<GlobalOptions, GatewayArgs> = {
  command: 'serve',
  describe: 'Run the chat handlers behind a local WebSocket gateway',
  builder: (y) =>
    y
      .options(gatewayOptions)
      .check(checkGatewayArgs)
      .example('$0 serve --port 3001 --local', 'the chat on ws://127.0.0.1:3001') as never,
  handler: async (args) => {
    // The port first: a busy one is refused before anything else is opened or read.
    const reservation = await reservePort(args.host, args.port)
    const gatewayHold = await holdGatewayOf(
      args.local === undefined ? undefined : args.local || DEFAULT_LOCAL_DIR,
      args.host,
      reservation,
    )
    try {
      await withContext(args, async (context) => {
        if (!(await findTable(context.documentClient, context.tableName))) {
          throw new ChatDbError('store.tableNotFound', `table "${context.tableName}" does not exist`)
        }
        await serveUntilSignal(context, args, { reservation })
      })
    } finally {
      await reservation.release()
      gatewayHold.release()
    }
  },
}

export interface ServeOptions {
  /** The port held since the command began (see `reservePort`): freed just before listening. */
  reservation?: PortReservation
  /** More to print when ready (`dev`: its setup steps, the DynamoDB endpoint). */
  ready?: Record<string, unknown>
  /** Runs once the gateway listens, before "ready" is printed; what it returns is printed too. */
  started?: (gateway: Gateway) => Promise<Record<string, unknown>>
}

/**
 * Starts the gateway, prints where it listens (plus `ready` and what `started` returns, for
 * `dev`), and runs until SIGINT or SIGTERM; then closes every connection and the server before
 * returning.
 */
export async function serveUntilSignal(
  context: CliContext,
  args: GatewayArgs,
  { reservation, ready: extra = {}, started }: ServeOptions = {},
): Promise<void> {
  const { output, documentClient, tableName } = context
  // The gateway pulls in ws and every handler: load it only for the commands that run it.
  const { startGateway } = await import('../gateway/startGateway.js')
  const log = (line: string) => output.info(line)
  // Without --verbose the routes are counted, not listed: a chat page keeps sending frames.
  const summary = args.verbose ? undefined : createRouteSummary({ log })
  await reservation?.release()
  const port = reservation?.port ?? args.port
  // Read once (checkGatewayArgs refused a bad one before the command began); the port is the
  // one reserved above.
  const { port: _flagPort, ...settings } = gatewaySettings(args)
  const gateway = await startGateway({
    port,
    host: args.host,
    ...settings,
    allowedOrigins: args.allowOrigin?.map(String),
    allowedHosts: args.allowHost?.map(String),
    documentClient,
    tableName,
    log,
    route: summary && ((invocation) => summary.record(invocation)),
  }).catch((error: unknown) => {
    summary?.close()
    throw listenError(error, args.host, port)
  })
  // The summary's last line counts the $disconnects of the connections the close ends.
  const close = async () => {
    await gateway.close()
    summary?.close()
  }
  // Listening for the signal from the moment the gateway runs: a Ctrl-C while `started` works
  // still closes the gateway (and with it every connection) properly.
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    const stop = (received: NodeJS.Signals) => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve(received)
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
  let signalled: NodeJS.Signals | undefined
  let more: Record<string, unknown> = {}
  try {
    const first = await Promise.race([
      started?.(gateway),
      stopped.then((signal) => {
        signalled = signal
      }),
    ])
    more = first ?? {}
  } catch (error) {
    await close()
    throw error
  }
  if (signalled) {
    // Stopped before it was ready: nothing to announce.
    output.info(`${signalled}: closing the gateway`)
    await close()
    return
  }
  // The operator view reads the whole table for anyone who reaches the port: fine on loopback,
  // worth a warning anywhere else (the Lambda handlers never serve it).
  // Addresses only this machine can reach need no warning.
  const warnings = isLoopbackHost(args.host) ? [] : ['inspect.unauthenticated']
  if (warnings.length > 0) {
    output.info(
      `warning inspect.unauthenticated: listening on ${args.host}: the operator view (/inspect) has no authentication; anyone who can reach this port can read every room, member and message`,
    )
  }
  const sampleFrame = { action: 'subscribe', roomName: 'general', userName: 'ada' }
  const { largeRoomThreshold, largeRoomShards } = settings
  const ready = {
    ...extra,
    ...more,
    tableName,
    url: gateway.url,
    managementEndpoint: gateway.managementEndpoint,
    // The chat page the gateway serves on its own port (cli/gateway/webPage.ts).
    page: `${gateway.managementEndpoint}/`,
    // The read-only operator view on the same port (cli/gateway/inspectApi.ts).
    operatorView: `${gateway.managementEndpoint}/inspect`,
    warnings,
    // Infinity is not JSON: `off`, as the flag and the variable spell it.
    largeRooms: {
      threshold: Number.isFinite(largeRoomThreshold) ? largeRoomThreshold : 'off',
      shards: largeRoomShards,
      fanOutQueue: {
        visibilityTimeoutMs: gateway.fanOut.visibilityTimeoutMs,
        maxReceiveCount: gateway.fanOut.maxReceiveCount,
      },
    },
    // API Gateway's request limits the gateway enforces (docs/cli.md, "Request limits").
    limits: {
      account: describeThrottle(settings.accountThrottle),
      route: describeThrottle(settings.stageThrottle),
    },
    // API Gateway's connection limits as this gateway applies them: milliseconds, or `off`.
    connectionLimits: {
      idleTimeoutMs: limitForJson(settings.idleTimeoutMs),
      maxConnectionAgeMs: limitForJson(settings.maxConnectionAgeMs),
    },
    // The built-in client (`chatdb connect`): no download, and it reads a pipe as well as a terminal.
    connect: `${cliInvocation()} connect ${gateway.url}`,
    sampleFrame,
  }
  output.result(ready, (r) => {
    // What `dev` adds; `serve` has none of them.
    const { threshold, shards, fanOutQueue } = r.largeRooms
    const { demo, dynamoEndpoint, inspect } = r as {
      demo?: { members: number }
      dynamoEndpoint?: string
      inspect?: string
    }
    return [
      `gateway for table "${r.tableName}" listening on ${r.url} (@connections API: ${r.managementEndpoint})`,
      `chat page: ${r.page}   (open it in a browser)`,
      `operator:  ${r.operatorView}   (read-only view of the table)`,
      threshold === 'off'
        ? 'large rooms: off'
        : `large rooms: from ${threshold} subscribers, ${shards} shards, broadcast through the in-process fan-out queue (dead-lettered after ${fanOutQueue.maxReceiveCount} receives)`,
      `limits:    account ${r.limits.account}, each route ${r.limits.route} (API Gateway's; --account-rate, --stage-rate)`,
      ...(demo ? [`demo:      ${demo.members} users in the demo rooms, connected through this gateway`] : []),
      ...(dynamoEndpoint ? [`DynamoDB:  ${dynamoEndpoint}`] : []),
      ...(inspect ? [`inspect:   ${inspect}   (from another terminal, while this runs)`] : []),
      `connect:   ${r.connect}`,
      `then send: ${JSON.stringify(r.sampleFrame)}`,
      '           {"action":"sendMessage","roomName":"general","message":"hello"}',
      'Ctrl-C stops.',
    ].join('\n')
  })
  const signal = await stopped
  output.info(`${signal}: closing the gateway`)
  await close()
}
