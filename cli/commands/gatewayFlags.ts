// The gateway's flags, shared by `serve` and `dev`: their yargs options, their parsed type and the
// check that refuses a bad one before the command begins.
import {
  DEFAULT_LARGE_ROOM_SHARDS,
  DEFAULT_LARGE_ROOM_THRESHOLD,
  DEFAULT_POST_CONCURRENCY,
} from '../../src/config/settings.js'
import type { GlobalOptions } from '../context.js'
import { CliError } from '../errors.js'
import { CLI_SETTINGS } from '../flagSettings.js'
import { DEFAULT_MAX_QUEUED_FRAMES, GATEWAY_MANAGEMENT_MAX_SOCKETS } from '../gateway/limits.js'
import { normaliseHostName, normaliseOrigin } from '../gateway/requestGuard.js'
import { ROUTE_SUMMARY_INTERVAL_MS } from '../gateway/routeLog.js'
import { connectionLimitOptions } from './connectionLimitFlags.js'
import { gatewaySettings } from './gatewaySettings.js'
import { type ThrottleArgs, throttleOptions } from './throttleFlags.js'

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
