import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { createRouter } from '../../src/lambda/createRouter.js'
import { createJsonLogger } from '../../src/service/jsonLogger.js'
import { type Gateway, startGatewayServer } from './gatewayServer.js'
import { createInspectApi } from './inspectApi.js'

export type { Gateway } from './gatewayServer.js'

export interface GatewayOptions {
  /** 0 picks a free port. */
  port: number
  /** Default 127.0.0.1. */
  host?: string
  documentClient: DynamoDBDocumentClient
  tableName: string
  /** One line per route invocation: route, connection id, status, milliseconds. */
  log?: (line: string) => void
  /** Frames a connection may have waiting; one more closes it with 1013 (default 64). */
  maxQueuedFrames?: number
  /** The router's `coalesceFrom` and `coalesceWindowMs` (`$disconnect` storms; default 100, 250 ms). */
  coalesceFrom?: number
  coalesceWindowMs?: number
}

/**
 * A local stand-in for API Gateway's WebSocket API (`chatdb serve`): a real `ws` server that
 * turns connections and frames into API Gateway v2 events for the Lambda router built by
 * `createRouter` (`$connect` on upgrade, a non-200 refusing it; route selection on
 * `$request.body.action`, `$default` otherwise; `$disconnect` on close), and serves the
 * `@connections` management API on the same port, so the handlers post through the real SDK
 * client. Unlike API Gateway, it handles one frame per connection at a time, in arrival order;
 * at most `maxQueuedFrames` may wait (one more closes the connection with 1013), and frames
 * still waiting when their connection closes are dropped ($disconnect follows the running one).
 *
 * @example
 * const gateway = await startGateway({ port: 3001, documentClient, tableName: 'chat', log: console.log })
 * // ws clients connect to gateway.url; later:
 * await gateway.close()
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { port, host, log, maxQueuedFrames, documentClient, tableName } = options
  return startGatewayServer({
    port,
    host,
    log,
    maxQueuedFrames,
    // The operator view reads through the same client; the Lambda handlers never serve it.
    inspect: createInspectApi({ documentClient, tableName }),
    router: (managementEndpoint) =>
      createRouter({
        documentClient,
        tableName,
        managementEndpoint,
        region: 'local',
        // The local @connections API checks no signature; these let the SDK sign without an AWS profile.
        managementCredentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        // Every connection's invocations share this one client (in Lambda each has its own).
        managementMaxSockets: 256,
        // A terminal, not CloudWatch: the plain JSON lines on stderr, and no EMF.
        logger: createJsonLogger(),
        metrics: false,
        coalesceFrom: options.coalesceFrom,
        coalesceWindowMs: options.coalesceWindowMs,
      }),
  })
}
