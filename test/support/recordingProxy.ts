import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
} from 'node:http'
import type { AddressInfo } from 'node:net'

/** One AWS call as it went over the network, by the function (`label`) that was running then. */
export type RecordedCall =
  | {
      label: string
      service: 'dynamodb'
      /** The operation, from `X-Amz-Target: DynamoDB_20120810.<Operation>`. */
      operation: string
      /** Tables (and `table/index` for index reads) the request names, and the items of a transaction. */
      tables: string[]
      indexName?: string
      /** A transaction's items by kind (`Put`, `Update`, `Delete`, `ConditionCheck`, `Get`). */
      transactKinds?: string[]
    }
  | { label: string; service: 'sqs'; operation: string; queueUrl: string; body: Record<string, unknown> }
  | { label: string; service: 'connections'; method: string; connectionId: string; status: number }
  /** A request the proxy cannot tell (answered 400): no policy grants it. */
  | { label: string; service: 'unknown'; method: string; path: string }

export interface RecordingProxy {
  /** For AWS_ENDPOINT_URL_DYNAMODB and CHATDB_MANAGEMENT_ENDPOINT. */
  endpoint: string
  /** A queue URL on the proxy standing for `realUrl`: a client given it posts here (the SQS client posts to its queue's URL). */
  queueUrl(realUrl: string): string
  /** Calls seen from now on are recorded under this label (the function running). */
  label(name: string): void
  calls(): RecordedCall[]
  close(): Promise<void>
}

/**
 * One HTTP endpoint in front of dynalite, a local SQS (JSON protocol) and an `@connections`
 * endpoint: it tells them apart by `X-Amz-Target` (DynamoDB_20120810.* / AmazonSQS.*) or the
 * `/@connections/` path, forwards each request unchanged (but for the queue URL it stands in
 * for), and records what was asked: the calls a process made, seen from outside it.
 */
export async function startRecordingProxy(upstreams: {
  dynamo: string
  sqs: string
  connections: string
}): Promise<RecordingProxy> {
  const recorded: RecordedCall[] = []
  const realQueueUrls = new Map<string, string>()
  let current = 'unlabelled'
  const server = createServer(async (incoming, outgoing) => {
    const label = current
    let body = await readBody(incoming)
    const target = String(incoming.headers['x-amz-target'] ?? '')
    const operation = target.slice(target.indexOf('.') + 1)
    let upstream: string
    let connectionId: string | undefined
    if (target.startsWith('DynamoDB_')) {
      upstream = upstreams.dynamo
      recorded.push({ label, service: 'dynamodb', operation, ...dynamoResources(JSON.parse(body)) })
    } else if (target.startsWith('AmazonSQS.')) {
      upstream = upstreams.sqs
      const parsed = JSON.parse(body) as Record<string, unknown>
      const queueUrl = String(parsed.QueueUrl ?? '')
      recorded.push({ label, service: 'sqs', operation, queueUrl, body: parsed })
      body = JSON.stringify({ ...parsed, QueueUrl: realQueueUrls.get(queueUrl) ?? queueUrl })
    } else {
      const match = /\/@connections\/([^/?]+)/.exec(incoming.url ?? '')
      if (!match) {
        recorded.push({
          label,
          service: 'unknown',
          method: String(incoming.method),
          path: String(incoming.url),
        })
        outgoing.writeHead(400).end(`unknown AWS call ${incoming.method} ${incoming.url}`)
        return
      }
      upstream = upstreams.connections
      connectionId = decodeURIComponent(match[1] as string)
    }
    let answer: Awaited<ReturnType<typeof forward>>
    try {
      answer = await forward(upstream, incoming, body)
    } catch {
      incoming.socket.destroy()
      return
    }
    if (connectionId !== undefined) {
      const method = String(incoming.method)
      recorded.push({ label, service: 'connections', method, connectionId, status: answer.status })
    }
    const { 'content-length': _length, 'transfer-encoding': _encoding, ...headers } = answer.headers
    outgoing.writeHead(answer.status, { ...headers, 'content-length': Buffer.byteLength(answer.text) })
    outgoing.end(answer.text)
  })
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', () => listening()))
  const own = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    endpoint: own,
    queueUrl(realUrl) {
      const stand = `${own}${new URL(realUrl).pathname}`
      realQueueUrls.set(stand, realUrl)
      return stand
    },
    label(name) {
      current = name
    },
    calls: () => [...recorded],
    close: () =>
      new Promise<void>((closed) => {
        server.closeAllConnections()
        server.close(() => closed())
      }),
  }
}

type DynamoRequest = {
  TableName?: string
  IndexName?: string
  RequestItems?: Record<string, unknown>
  TransactItems?: Record<string, { TableName: string }>[]
}

function dynamoResources(request: DynamoRequest) {
  if (request.TransactItems) {
    const items = request.TransactItems.map(
      (item) => Object.entries(item)[0] as [string, { TableName: string }],
    )
    return { tables: items.map(([, i]) => i.TableName), transactKinds: items.map(([kind]) => kind) }
  }
  if (request.RequestItems) return { tables: Object.keys(request.RequestItems) }
  const table = String(request.TableName)
  return request.IndexName
    ? { tables: [`${table}/index/${request.IndexName}`], indexName: request.IndexName }
    : { tables: [table] }
}

/** Sends the request on to `target` as it came (but for `body`), and reads the whole answer. */
function forward(target: string, incoming: IncomingMessage, body: string) {
  return new Promise<{ status: number; headers: IncomingHttpHeaders; text: string }>((done, failed) => {
    const url = new URL(target)
    const forwarded = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: url.host, 'content-length': Buffer.byteLength(body) },
      },
      (answer) => {
        readBody(answer).then(
          (text) => done({ status: answer.statusCode ?? 500, headers: answer.headers, text }),
          failed,
        )
      },
    )
    forwarded.on('error', failed)
    forwarded.end(body)
  })
}

async function readBody(incoming: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of incoming) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
