// The local gateway's WebSocket handshake: the Host and Origin checks, API Gateway's throttle, and
// `$connect`: a 200 lets the upgrade through, any other status refuses it with that status.
import { type IncomingMessage, STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import type { WebSocket, WebSocketServer } from 'ws'
import type { ConnectionHost } from './gatewayConnection.js'
import { type ConnectionInfo, newGatewayId } from './gatewayEvents.js'
import type { RequestGuard } from './requestGuard.js'

// Said to a request under a name the gateway does not answer to, without repeating that name.
export const MISDIRECTED =
  'chatdb local gateway: this Host is not one this gateway answers to (its address or localhost); start it with --allow-host <name> to use another name\n'
const FOREIGN_ORIGIN =
  'chatdb local gateway: WebSocket connections from other sites are refused; start it with --allow-origin <origin> to allow a page\n'

/** Answers an upgrade request with a plain HTTP status and closes its socket. */
export function refuse(socket: Duplex, statusCode: number, body = '') {
  socket.end(
    `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] ?? 'Refused'}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  )
  socket.destroy()
}

export interface UpgradeOptions extends Pick<ConnectionHost, 'limits' | 'log' | 'track' | 'invoke'> {
  guard: RequestGuard
  wss: WebSocketServer
  /** Takes the socket once `$connect` admitted it. */
  open: (info: ConnectionInfo, socket: WebSocket) => void
}

/** The server's `upgrade` listener. */
export function createUpgradeHandler({ guard, limits, wss, log, track, invoke, open }: UpgradeOptions) {
  return function accept(request: IncomingMessage, socket: Duplex, head: Buffer) {
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
}
