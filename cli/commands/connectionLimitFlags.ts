import type { Environment } from '../../src/config/fromEnvironment.js'
import { fromFlags } from '../flagSettings.js'
import type { ConnectionLimits } from '../gateway/connectionLifetime.js'

const QUOTAS =
  'https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html'

/** --idle-timeout and --max-connection-age, shared by `serve` and `dev`: API Gateway's values by default. */
export const connectionLimitOptions = {
  'idle-timeout': {
    type: 'string',
    default: '10m',
    describe:
      'Close a connection with no message either way for this long with 1001 and run $disconnect, as API Gateway does (ms, s, m or h; off: never)',
  },
  'max-connection-age': {
    type: 'string',
    default: '2h',
    describe: `Close a connection this old with 1001 and run $disconnect, as API Gateway does (ms, s, m or h; off: never). Quotas: ${QUOTAS}`,
  },
} as const

/** The flags in milliseconds (`Infinity` for `off`), by `fromFlags`: a bad one is a `cli.usage` error naming it. */
export function connectionLimits(
  args: { 'idle-timeout'?: string; 'max-connection-age'?: string },
  env: Environment = {},
): ConnectionLimits {
  return fromFlags(args, env, ['idleTimeoutMs', 'maxConnectionAgeMs'])
}
