// The local gateway's plain HTTP requests: the Host check, then the `@connections` API, the
// operator view's API, the chat page, or 404.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { MISDIRECTED } from './acceptUpgrade.js'
import { type ManagedConnection, serveConnectionsApi } from './connectionsApi.js'
import type { GatewayServerOptions } from './gatewayTypes.js'
import type { RequestGuard } from './requestGuard.js'
import type { RequestLimits } from './requestLimits.js'
import { serveWebPage } from './webPage.js'

export interface PlainHttpOptions {
  guard: RequestGuard
  limits: RequestLimits
  /** The open connection of that id, as `@connections` finds it. */
  openConnection: (connectionId: string) => ManagedConnection | undefined
  inspect: GatewayServerOptions['inspect']
  log: (line: string) => void
}

/** The server's `request` listener. */
export function createPlainHttpHandler({ guard, limits, openConnection, inspect, log }: PlainHttpOptions) {
  return (request: IncomingMessage, response: ServerResponse) => {
    const authority = guard.host(request.headers)
    if (!authority) {
      request.resume()
      response.writeHead(421, { 'content-type': 'text/plain', connection: 'close' })
      response.end(MISDIRECTED)
      return
    }
    serveConnectionsApi(request, response, openConnection, limits.admitManagementCall)
      .then(async (served) => {
        if (served || (inspect && (await inspect(request, response)))) return
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
  }
}
