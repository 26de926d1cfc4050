import { Logger } from '@aws-lambda-powertools/logger'
import type { ServiceLogger } from '../service/types.js'
import { currentInvocation } from './invocation.js'

/** The service name of log lines and metrics when `POWERTOOLS_SERVICE_NAME` is unset. */
export const DEFAULT_SERVICE_NAME = 'chatdb'

/**
 * What the adapter needs of a Powertools `Logger`. Structural, so the shipped declarations do
 * not name Powertools' types (theirs import @types/aws-lambda, which users need not install).
 */
export interface PowertoolsLogSink {
  error(message: string, ...extra: Record<string, unknown>[]): void
  warn(message: string, ...extra: Record<string, unknown>[]): void
}

/**
 * A Powertools logger configured from the environment (`POWERTOOLS_SERVICE_NAME`, default
 * `chatdb`; `POWERTOOLS_LOG_LEVEL`, default `INFO`; the rest of Powertools' own variables).
 */
export function createPowertoolsLogger(): PowertoolsLogSink {
  return new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME || DEFAULT_SERVICE_NAME })
}

// Keys Powertools writes itself and drops (with a warning line) when they come as extra data.
const RESERVED_KEYS = ['level', 'message', 'sampling_rate', 'service', 'timestamp']

/** Details whose keys Powertools reserves are kept under `details` instead of being dropped. */
function keepReservedKeys(details: Record<string, unknown>): Record<string, unknown> {
  const reserved = Object.keys(details).filter((key) => RESERVED_KEYS.includes(key))
  if (reserved.length === 0) return details
  const kept: Record<string, unknown> = {}
  const rest: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(details)) (reserved.includes(key) ? kept : rest)[key] = value
  return { ...rest, details: kept }
}

/**
 * The service's log port on a Powertools logger: one JSON line per event (warnings and errors
 * on stderr, as Node's `Console` splits them; Lambda sends both streams to CloudWatch), the
 * event's name as `message`, and the invocation's `route`, `connectionId` and `requestId` on
 * every line written while a route runs. A line about another connection (a
 * failed post to a room member) names that one `targetConnectionId`, so `connectionId` always
 * means the caller and a CloudWatch query on it finds the whole request.
 *
 * @example
 * const router = createRouter({ documentClient, logger: createLambdaLogger(new Logger({ logLevel: 'WARN' })) })
 */
export function createLambdaLogger(logger: PowertoolsLogSink = createPowertoolsLogger()): ServiceLogger {
  const attributes = (all: Record<string, unknown>) => {
    const details = keepReservedKeys(all)
    const invocation = currentInvocation()
    if (!invocation) return details
    const { connectionId, ...rest } = details
    const { route, requestId, lambdaRequestId } = invocation
    return {
      ...rest,
      ...(connectionId !== undefined && connectionId !== invocation.connectionId
        ? { targetConnectionId: connectionId }
        : {}),
      route,
      connectionId: invocation.connectionId,
      requestId,
      // Powertools' own name for it (its `addContext`), so existing queries find these lines.
      ...(lambdaRequestId ? { function_request_id: lambdaRequestId } : {}),
    }
  }
  return {
    error: (event, details) => logger.error(event, attributes(details)),
    warn: (event, details) => logger.warn(event, attributes(details)),
  }
}
