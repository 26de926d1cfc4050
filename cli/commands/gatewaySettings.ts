// The gateway's settings (`serve`, `dev`), read once from its flags through the configuration schema.
import type { Environment } from '../../src/config/fromEnvironment.js'
import { fromFlags } from '../flagSettings.js'
import { GATEWAY_MANAGEMENT_MAX_SOCKETS } from '../gateway/limits.js'
import { connectionLimits } from './connectionLimitFlags.js'
import { throttleSettings } from './throttleFlags.js'

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

export type GatewaySettings = ReturnType<typeof gatewaySettings>
