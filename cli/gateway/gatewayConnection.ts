// One open WebSocket of the local gateway: its frames handled one at a time in arrival order (at
// most `maxQueuedFrames` waiting), throttled as API Gateway does, and its $disconnect queued
// behind them when it closes.
import { type RawData, WebSocket } from 'ws'
import type { ConnectionLifetime } from './connectionLifetime.js'
import type { ManagedConnection } from './connectionsApi.js'
import { type buildEvent, type ConnectionInfo, newGatewayId, selectRoute } from './gatewayEvents.js'
import type { GatewayStats } from './gatewayTypes.js'
import { type RequestLimits, tooManyRequestsFrame } from './requestLimits.js'

export interface LiveConnection extends ConnectionInfo, ManagedConnection {
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

/** The gateway's counters a connection adds to (see `GatewayStats`). */
export type GatewayCounts = Omit<GatewayStats, 'connections' | 'queuedFrames' | 'throttled'>

/** Runs a route for a connection through the router; answers its status code. */
export type Invoke = (
  connection: ConnectionInfo,
  invoked: Parameters<typeof buildEvent>[2],
) => Promise<number>

/** What every connection of one gateway shares. */
export interface ConnectionHost {
  /** The open connections by id, as the `@connections` API finds them. */
  connections: Map<string, LiveConnection>
  lifetime: ConnectionLifetime
  limits: RequestLimits
  counts: GatewayCounts
  maxQueuedFrames: number
  log: (line: string) => void
  /** Keeps a promise until it settles, so that closing the gateway waits for it. */
  track: <T>(promise: Promise<T>) => Promise<T>
  invoke: Invoke
}

const textOf = (data: RawData): string =>
  Array.isArray(data)
    ? Buffer.concat(data).toString('utf8')
    : Buffer.from(data as ArrayBuffer).toString('utf8')

/** Registers an upgraded socket whose `$connect` answered 200, and handles its frames until it closes. */
export function openConnection(host: ConnectionHost, info: ConnectionInfo, socket: WebSocket): void {
  const { connections, lifetime, limits, counts, maxQueuedFrames, log, track, invoke } = host
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
          log(`gateway error ${info.connectionId} ${error instanceof Error ? error.message : String(error)}`)
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
