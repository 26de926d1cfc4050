// The local gateway's server: one HTTP server for the WebSocket upgrades (acceptUpgrade.ts), the
// connections' frames (gatewayConnection.ts) and plain HTTP (plainHttp.ts); it listens, counts,
// and closes every connection (running their $disconnect) before the server.
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocket, WebSocketServer } from 'ws'
import { checkValue } from '../../src/config/settings.js'
import { MAX_OUTGOING_FRAME_BYTES } from '../../src/protocol/fitFrame.js'
import { CLI_SETTINGS } from '../flagSettings.js'
import { createUpgradeHandler, refuse } from './acceptUpgrade.js'
import {
  AWS_IDLE_TIMEOUT_MS,
  AWS_MAX_CONNECTION_AGE_MS,
  createConnectionLifetime,
  GOING_AWAY,
} from './connectionLifetime.js'
import {
  type ConnectionHost,
  type GatewayCounts,
  type Invoke,
  type LiveConnection,
  openConnection,
} from './gatewayConnection.js'
import { buildEvent, type GatewayStage } from './gatewayEvents.js'
import type { Gateway, GatewayRouter, GatewayServerOptions } from './gatewayTypes.js'
import { DEFAULT_MAX_QUEUED_FRAMES } from './limits.js'
import { createPlainHttpHandler } from './plainHttp.js'
import { createRequestGuard } from './requestGuard.js'
import { createRequestLimits } from './requestLimits.js'
import { routeLine } from './routeLog.js'
import { urlHost } from './urlHost.js'

export type { Gateway, GatewayRouter, GatewayServerOptions, GatewayStats } from './gatewayTypes.js'
export { DEFAULT_MAX_QUEUED_FRAMES }

/**
 * The WebSocket server and `@connections` API behind `startGateway`, over any router: connections
 * and frames become API Gateway v2 events (`$connect` on upgrade, a non-200 refusing it with that
 * status; route selection on `$request.body.action`; `$disconnect` on close, with its code and
 * reason). Frames of one connection are handled one at a time, in arrival order. Plain HTTP gets
 * the chat page at `/` (see `serveWebPage`), the operator view's API when `inspect` is given,
 * the `@connections` API, or 404.
 */
export async function startGatewayServer(options: GatewayServerOptions): Promise<Gateway> {
  const { host = '127.0.0.1', log = () => {}, maxQueuedFrames = DEFAULT_MAX_QUEUED_FRAMES } = options
  const route = options.route ?? ((invocation) => log(routeLine(invocation)))
  checkValue(CLI_SETTINGS.maxQueuedFrames, maxQueuedFrames, 'maxQueuedFrames')
  const counts: GatewayCounts = {
    handledFrames: 0,
    droppedFrames: 0,
    throttledConnections: 0,
    idleClosedConnections: 0,
    agedOutConnections: 0,
  }
  const limits = createRequestLimits({ account: options.accountThrottle, stage: options.stageThrottle, log })
  const connections = new Map<string, LiveConnection>()
  // API Gateway's idle timeout and connection duration: both close with 1001 and run $disconnect.
  const lifetime = createConnectionLifetime({
    idleTimeoutMs: options.idleTimeoutMs ?? AWS_IDLE_TIMEOUT_MS,
    maxConnectionAgeMs: options.maxConnectionAgeMs ?? AWS_MAX_CONNECTION_AGE_MS,
    expire(connectionId, why) {
      const connection = connections.get(connectionId)
      if (!connection || connection.socket.readyState !== WebSocket.OPEN) return
      counts[why === 'idle' ? 'idleClosedConnections' : 'agedOutConnections']++
      log(`closed ${connectionId}: ${why === 'idle' ? 'idle timeout' : 'maximum connection age'} (1001)`)
      connection.closedBy = GOING_AWAY
      connection.socket.close(GOING_AWAY.code, GOING_AWAY.reason)
    },
  })
  const pending = new Set<Promise<unknown>>()
  let stage: GatewayStage = { apiId: 'local', stage: 'local', domainName: host }
  let managementEndpoint = ''
  let router: GatewayRouter | undefined
  // Checked before anything listens: bad names throw here.
  const guard = createRequestGuard({
    host,
    allowedHosts: options.allowedHosts,
    allowedOrigins: options.allowedOrigins,
  })

  const track = <T>(promise: Promise<T>): Promise<T> => {
    pending.add(promise)
    void promise.finally(() => pending.delete(promise)).catch(() => {})
    return promise
  }

  const invoke: Invoke = async (connection, invoked) => {
    const started = performance.now()
    const event = buildEvent(stage, connection, invoked)
    const { statusCode } = await (router as NonNullable<typeof router>).handler(event)
    // Timing is for the developer reading the log; nothing depends on it.
    route({
      routeKey: invoked.routeKey,
      connectionId: connection.connectionId,
      statusCode,
      ms: Math.round(performance.now() - started),
    })
    return statusCode
  }

  const server = createServer(
    createPlainHttpHandler({
      guard,
      limits,
      openConnection: (id) => {
        const connection = connections.get(id)
        return connection && connection.socket.readyState === WebSocket.OPEN ? connection : undefined
      },
      inspect: options.inspect,
      log,
    }),
  )
  // API Gateway takes messages up to 128 KB; ws closes bigger ones with 1009.
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_OUTGOING_FRAME_BYTES })

  const connectionHost: ConnectionHost = {
    connections,
    lifetime,
    limits,
    counts,
    maxQueuedFrames,
    log,
    track,
    invoke,
  }
  const accept = createUpgradeHandler({
    guard,
    limits,
    wss,
    log,
    track,
    invoke,
    open: (info, socket) => openConnection(connectionHost, info, socket),
  })

  server.on('upgrade', accept)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const authority = `${urlHost(host)}:${port}`
  managementEndpoint = `http://${authority}`
  stage = { apiId: 'local', stage: 'local', domainName: authority }
  router = options.router(managementEndpoint)

  let closing: Promise<void> | undefined
  return {
    url: `ws://${authority}`,
    managementEndpoint,
    stats() {
      let queuedFrames = 0
      for (const connection of connections.values()) queuedFrames += connection.waiting
      return { connections: connections.size, queuedFrames, ...counts, throttled: limits.throttled() }
    },
    close() {
      closing ??= (async () => {
        server.off('upgrade', accept)
        server.on('upgrade', (_request, socket: Duplex) => refuse(socket, 503))
        lifetime.stop()
        // Each socket's own close listener (registered first) queues its $disconnect; waiting
        // for 'close' here means every one of them is queued before the pending work is awaited.
        await Promise.all(
          [...connections.values()].map(({ socket }) => {
            const closed = once(socket, 'close')
            socket.terminate()
            return closed
          }),
        )
        // Every $disconnect runs before the router's clients go away.
        while (pending.size > 0) await Promise.allSettled([...pending])
        router?.close()
        await new Promise<void>((resolve) => wss.close(() => resolve()))
        server.closeAllConnections()
        await new Promise<void>((resolve) => server.close(() => resolve()))
      })()
      return closing
    },
  }
}
