import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
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

// What the SDK's SigV4 signer sends: the scheme, a credential scope for execute-api, the signed
// headers (host and x-amz-date among them) and a 64-digit signature.
const SIGV4 =
  /^AWS4-HMAC-SHA256 Credential=[^/\s,]+\/\d{8}\/[^/\s,]+\/execute-api\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=[0-9a-f]{64}$/
const AMZ_DATE = /^\d{8}T\d{6}Z$/

/**
 * Why a request is not one the AWS SDK makes, or undefined when it is. A browser cannot make one:
 * it sends Origin with every POST and DELETE, and a page cannot add an Authorization header to a
 * cross-site request without a CORS preflight, which this API never approves. The signature
 * itself is not checked (the local handlers sign with throwaway credentials).
 */
export function unsignedRefusal(headers: IncomingHttpHeaders): string | undefined {
  if (headers.origin !== undefined) return 'The @connections API takes no requests from web pages'
  const signed = SIGV4.exec(headers.authorization ?? '')?.[1]?.split(';')
  const date = headers['x-amz-date']
  if (
    !signed?.includes('host') ||
    !signed.includes('x-amz-date') ||
    typeof date !== 'string' ||
    !AMZ_DATE.test(date)
  ) {
    // API Gateway's words for a request without a SigV4 signature.
    return 'Missing Authentication Token'
  }
  return undefined
}

/**
 * Serves API Gateway's management API, `{POST,GET,DELETE} /@connections/{id}` (under any stage
 * prefix), so the real `@aws-sdk/client-apigatewaymanagementapi` client posts through it.
 * Unknown or closed ids answer 410 GoneException, as API Gateway does; a request not signed as
 * the SDK signs (see `unsignedRefusal`) answers 403 ForbiddenException; one that `admit` refuses
 * (the account's request budget) answers 429 LimitExceededException. Returns false for requests
 * that are not for `@connections`.
 */
export async function serveConnectionsApi(
  request: IncomingMessage,
  response: ServerResponse,
  lookup: (connectionId: string) => ManagedConnection | undefined,
  admit: () => boolean = () => true,
): Promise<boolean> {
  const match = CONNECTIONS_PATH.exec(request.url ?? '')
  if (!match) return false
  const refusal = unsignedRefusal(request.headers)
  if (refusal) {
    request.resume()
    answer(response, 403, { message: refusal }, 'ForbiddenException')
    return true
  }
  if (!admit()) {
    request.resume()
    // The SDK takes the exception's name from x-amzn-ErrorType (before the body's code or
    // __type), and its message from the body's `message`.
    answer(response, 429, { message: 'Too Many Requests' }, 'LimitExceededException')
    return true
  }
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
