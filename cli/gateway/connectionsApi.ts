import type { IncomingMessage, ServerResponse } from 'node:http'
import { MAX_OUTGOING_FRAME_BYTES } from '../../src/protocol/fitFrame.js'

/** A live connection as the `@connections` API needs it. */
export interface ManagedConnection {
  connectedAt: number
  lastActiveAt: number
  sourceIp: string
  userAgent: string | undefined
  send(data: string): Promise<void>
  close(): void
}

const CONNECTIONS_PATH = /^(?:\/[^@]*)?\/@connections\/([^/?]+)\/?(?:\?.*)?$/

function answer(response: ServerResponse, status: number, body?: unknown, errorType?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  // The SDK names its exception after this header (GoneException, PayloadTooLargeException, ...).
  if (errorType) headers['x-amzn-errortype'] = errorType
  const text = body === undefined ? '' : JSON.stringify(body)
  headers['content-length'] = String(Buffer.byteLength(text))
  response.writeHead(status, headers)
  response.end(text)
}

async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request) {
    size += (chunk as Buffer).length
    if (size > limit) return undefined
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

/**
 * Serves API Gateway's management API, `{POST,GET,DELETE} /@connections/{id}` (under any stage
 * prefix), so the real `@aws-sdk/client-apigatewaymanagementapi` client posts through it.
 * Unknown or closed ids answer 410 GoneException, as API Gateway does. Returns false for
 * requests that are not for `@connections`.
 */
export async function serveConnectionsApi(
  request: IncomingMessage,
  response: ServerResponse,
  lookup: (connectionId: string) => ManagedConnection | undefined,
): Promise<boolean> {
  const match = CONNECTIONS_PATH.exec(request.url ?? '')
  if (!match) return false
  let connectionId: string
  try {
    connectionId = decodeURIComponent(match[1] as string)
  } catch {
    answer(response, 400, { message: 'Invalid connection id' }, 'BadRequestException')
    return true
  }
  const connection = lookup(connectionId)
  if (request.method === 'POST') {
    const body = await readBody(request, MAX_OUTGOING_FRAME_BYTES)
    if (body === undefined) {
      answer(response, 413, { message: 'Request entity too large' }, 'PayloadTooLargeException')
    } else if (!connection) {
      answer(response, 410, { message: 'Gone' }, 'GoneException')
    } else {
      try {
        await connection.send(body.toString('utf8'))
        answer(response, 200)
      } catch {
        answer(response, 410, { message: 'Gone' }, 'GoneException')
      }
    }
  } else if (!connection) {
    request.resume()
    answer(response, 410, { message: 'Gone' }, 'GoneException')
  } else if (request.method === 'GET') {
    // The wire names are camelCase; the SDK presents them as ConnectedAt, Identity.SourceIp, ...
    answer(response, 200, {
      connectedAt: new Date(connection.connectedAt).toISOString(),
      identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
      lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
    })
  } else if (request.method === 'DELETE') {
    connection.close()
    answer(response, 204)
  } else {
    request.resume()
    answer(response, 405, { message: `Method ${request.method} not allowed` })
  }
  return true
}
