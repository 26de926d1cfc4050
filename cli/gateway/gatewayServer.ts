import { once } from 'node:events'
import { createServer, type IncomingMessage, STATUS_CODES } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { type RawData, WebSocket, WebSocketServer } from 'ws'
import { MAX_OUTGOING_FRAME_BYTES } from '../../src/protocol/fitFrame.js'
import {
  AWS_IDLE_TIMEOUT_MS,
  AWS_MAX_CONNECTION_AGE_MS,
  createConnectionLifetime,
  GOING_AWAY,
} from './connectionLifetime.js'
import { type ManagedConnection, serveConnectionsApi } from './connectionsApi.js'
import {
  buildEvent,
  type ConnectionInfo,
  type GatewayStage,
  newGatewayId,
  selectRoute,
} from './gatewayEvents.js'
import type { Gateway, GatewayRouter, GatewayServerOptions } from './gatewayTypes.js'
import { DEFAULT_MAX_QUEUED_FRAMES } from './limits.js'
import { createRequestGuard } from './requestGuard.js'
import { createRequestLimits, tooManyRequestsFrame } from './requestLimits.js'
import { routeLine } from './routeLog.js'
import { urlHost } from './urlHost.js'
import { serveWebPage } from './webPage.js'

export type { Gateway, GatewayRouter, GatewayServerOptions, GatewayStats } from './gatewayTypes.js'
export { DEFAULT_MAX_QUEUED_FRAMES }

interface LiveConnection extends ConnectionInfo, ManagedConnection {
  socket: WebSocket
  /** Frames of one connection are handled one after another, in order. */
  queue: Promise<void>
  /** Frames received and not yet started (the running one excluded). */
  waiting: number
  /** Set on close: frames still waiting are dropped, never run. */
  closed: boolean
  /** The code and reason `$disconnect` reports when the gateway itself closed it at a limit. */
  closedBy?: { code: number; reason: string }
}

function refuse(socket: Duplex, statusCode: number, body = '') {
  socket.end(
    `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] ?? 'Refused'}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  )
  socket.destroy()
}

// Said to a request under a name the gateway does not answer to, without repeating that name.
const MISDIRECTED =
  'chatdb local gateway: this Host is not one this gateway answers to (its address or localhost); start it with --allow-host <name> to use another name\n'
const FOREIGN_ORIGIN =
  'chatdb local gateway: WebSocket connections from other sites are refused; start it with --allow-origin <origin> to allow a page\n'

const textOf = (data: RawData): string =>
  Array.isArray(data)
    ? Buffer.concat(data).toString('utf8')
    : Buffer.from(data as ArrayBuffer).toString('utf8')

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
  if (!Number.isInteger(maxQueuedFrames) || maxQueuedFrames < 0) {
    throw new RangeError(`maxQueuedFrames must be a non-negative integer (got ${maxQueuedFrames})`)
  }
  const counts = {
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

  async function invoke(connection: ConnectionInfo, invoked: Parameters<typeof buildEvent>[2]) {
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

  const server = createServer((request, response) => {
    const authority = guard.host(request.headers)
    if (!authority) {
      request.resume()
      response.writeHead(421, { 'content-type': 'text/plain', connection: 'close' })
      response.end(MISDIRECTED)
      return
    }
    serveConnectionsApi(
      request,
      response,
      (id) => {
        const connection = connections.get(id)
        return connection && connection.socket.readyState === WebSocket.OPEN ? connection : undefined
      },
      limits.admitManagementCall,
    )
      .then(async (served) => {
        if (served || (options.inspect && (await options.inspect(request, response)))) return
        if (serveWebPage(request, response, authority)) return
        request.resume()
        response.writeHead(404, { 'content-type': 'text/plain' })
        response.end(
          'chatdb local gateway: open / for the chat page or /inspect for the operator view, connect a WebSocket, or use /@connections/{id}\n',
        )
      })
      .catch((error: unknown) => {
        log(`http error ${error instanceof Error ? error.message : String(error)}`)
        if (!response.headersSent) response.writeHead(500)
        response.end()
      })
  })
  // API Gateway takes messages up to 128 KB; ws closes bigger ones with 1009.
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_OUTGOING_FRAME_BYTES })

  function accept(request: IncomingMessage, socket: Duplex, head: Buffer) {
    socket.on('error', () => socket.destroy())
    if (!guard.host(request.headers)) return refuse(socket, 421, MISDIRECTED)
    if (!guard.originAllowed(request.headers)) {
      // The developer's terminal, so that they can allow their own page if it is one.
      log(`refused a WebSocket upgrade from origin ${JSON.stringify(request.headers.origin?.slice(0, 100))}`)
      return refuse(socket, 403, FOREIGN_ORIGIN)
    }
    const info: ConnectionInfo = {
      connectionId: newGatewayId(),
      connectedAt: Date.now(),
      sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
      userAgent: request.headers['user-agent'],
      headers: request.headers,
    }
    if (limits.admitRoute('$connect').kind === 'throttled') return refuse(socket, 429, 'Too Many Requests')
    track(
      invoke(info, { routeKey: '$connect' })
        .catch(() => 500)
        .then((statusCode) => {
          if (statusCode !== 200) return refuse(socket, statusCode)
          wss.handleUpgrade(request, socket, head, (ws) => open(info, ws))
        }),
    )
  }

  function open(info: ConnectionInfo, socket: WebSocket) {
    const connection: LiveConnection = {
      ...info,
      socket,
      lastActiveAt: info.connectedAt,
      queue: Promise.resolve(),
      waiting: 0,
      closed: false,
      send: (data) => {
        // A post is traffic too: API Gateway's idle timeout counts data frames either way.
        lifetime.active(info.connectionId)
        return new Promise<void>((resolve, reject) =>
          socket.send(data, (error) => (error ? reject(error) : resolve())),
        )
      },
      close: () => socket.close(1000, 'Closed by the server'),
    }
    connections.set(info.connectionId, connection)
    lifetime.opened(info.connectionId)
    const enqueue = (work: () => Promise<unknown>) => {
      connection.queue = track(
        connection.queue.then(work).then(
          () => undefined,
          (error: unknown) => {
            log(
              `gateway error ${info.connectionId} ${error instanceof Error ? error.message : String(error)}`,
            )
          },
        ),
      )
    }
    // Data frames only: a ping does not keep a connection from going idle, as on API Gateway.
    socket.on('message', (data) => {
      lifetime.active(info.connectionId)
      // ws may still deliver frames that arrived with (or after) our own close frame.
      if (connection.closed || socket.readyState !== WebSocket.OPEN) {
        counts.droppedFrames++
        return
      }
      if (connection.waiting >= maxQueuedFrames) {
        // The frame is not kept: its bytes are released now, and so are the queued ones once
        // 'close' fires. The client learns why from the close code, as from API Gateway's throttling.
        counts.droppedFrames++
        counts.throttledConnections++
        log(`throttled ${info.connectionId}: more than ${maxQueuedFrames} frames waiting`)
        socket.close(1013, 'Too many frames waiting; try again later')
        return
      }
      connection.lastActiveAt = Date.now()
      const body = textOf(data)
      const routeKey = selectRoute(body)
      if (limits.admitRoute(routeKey).kind === 'throttled') {
        // As API Gateway does: the route is not invoked, the client is told in a frame.
        socket.send(tooManyRequestsFrame(info.connectionId, newGatewayId()))
        return
      }
      connection.waiting++
      enqueue(async () => {
        connection.waiting--
        // A frame that had not started when its connection closed is not run: API Gateway
        // would not invoke a route for a connection that is gone, and its poster would get 410s.
        if (connection.closed) {
          counts.droppedFrames++
          return
        }
        counts.handledFrames++
        await invoke(info, { routeKey, body })
      })
    })
    socket.on('close', (code, reason) => {
      // Gone before $disconnect runs, as in API Gateway: posts to it answer 410.
      connections.delete(info.connectionId)
      lifetime.closed(info.connectionId)
      connection.closed = true
      // The gateway's own code and reason, whatever the client echoed (or 1006 if it never did).
      const disconnect = connection.closedBy
        ? { statusCode: connection.closedBy.code, reason: connection.closedBy.reason }
        : { statusCode: code, reason: reason.toString('utf8') }
      // $disconnect is queued behind the frame in flight (and the dropped ones, which return at once).
      enqueue(() => invoke(info, { routeKey: '$disconnect', disconnect }))
    })
    socket.on('error', () => socket.terminate())
  }

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
