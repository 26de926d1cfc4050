import { createServer, request as httpRequest, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dynamoEndpoint } from './dynamo.js'

/**
 * What to do with one request: forward it (its JSON body possibly changed), cut the connection,
 * or answer a DynamoDB error of type `fail` (HTTP 400, e.g. `ProvisionedThroughputExceededException`)
 * without forwarding it.
 */
export type ProxyAction = { forward: Record<string, unknown> } | { fail: string } | 'reset'

/** Called per request with the operation (`Scan`, ...), its JSON body and its index among that operation's requests. */
export type ProxyRule = (
  operation: string,
  body: Record<string, unknown>,
  index: number,
) => ProxyAction | Promise<ProxyAction>

export interface DynamoProxy {
  /** Endpoint for AWS_ENDPOINT_URL_DYNAMODB: a CLI subprocess talks to dynalite through the proxy. */
  endpoint: string
  /** Requests seen, by operation. */
  counts(): Record<string, number>
  close(): Promise<void>
}

/**
 * An HTTP proxy in front of the test dynalite, for faults in another process (a CLI subprocess),
 * where middleware cannot reach: data still comes from dynalite, the rule only shapes requests
 * (e.g. a Scan `Limit`, to get many pages) or drops a connection at a chosen request.
 *
 * @example
 * const proxy = await startDynamoProxy((op, body, i) => (op === 'Scan' && i >= 2 ? 'reset' : { forward: body }))
 */
export async function startDynamoProxy(rule: ProxyRule): Promise<DynamoProxy> {
  const target = new URL(dynamoEndpoint())
  const counts: Record<string, number> = {}
  const server = createServer(async (incoming, outgoing) => {
    const text = await readBody(incoming)
    const header = String(incoming.headers['x-amz-target'] ?? '')
    const operation = header.slice(header.indexOf('.') + 1)
    const index = counts[operation] ?? 0
    counts[operation] = index + 1
    const action = await rule(operation, JSON.parse(text || '{}') as Record<string, unknown>, index)
    if (action === 'reset') {
      incoming.socket.destroy()
      return
    }
    if ('fail' in action) {
      const body = JSON.stringify({
        __type: `com.amazonaws.dynamodb.v20120810#${action.fail}`,
        message: 'injected',
      })
      outgoing.writeHead(400, {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-requestid': 'injected',
      })
      outgoing.end(body)
      return
    }
    const body = JSON.stringify(action.forward)
    const forwarded = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: target.host, 'content-length': Buffer.byteLength(body) },
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 500, answer.headers)
        answer.pipe(outgoing)
      },
    )
    forwarded.on('error', () => incoming.socket.destroy())
    forwarded.end(body)
  })
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', () => listening()))
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts: () => ({ ...counts }),
    close: () =>
      new Promise<void>((closed) => {
        server.closeAllConnections()
        server.close(() => closed())
      }),
  }
}

async function readBody(incoming: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of incoming) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
