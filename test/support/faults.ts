import type { AttributeValue } from '@aws-sdk/client-dynamodb'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { unmarshall } from '@aws-sdk/util-dynamodb'

type HttpRequestLike = { headers: Record<string, string>; body?: unknown }
type WriteRequestJson = Record<string, unknown>

/**
 * Makes BatchWriteItem behave like throttled DynamoDB, which dynalite never does: for each call
 * `drop(requestCount, callIndex)` says how many of its requests to hold back. Those are not sent
 * and come back in `UnprocessedItems`; the rest really are written.
 * Runs in the build step, before signing, on the serialized request.
 */
export function injectUnprocessedItems(
  documentClient: DynamoDBDocumentClient,
  drop: (requestCount: number, callIndex: number) => number,
) {
  let calls = 0
  let injected = 0
  documentClient.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as HttpRequestLike
      const text = bodyText(request.body)
      if (!request.headers['x-amz-target']?.endsWith('.BatchWriteItem') || text === undefined)
        return next(args)
      const body = JSON.parse(text) as { RequestItems: Record<string, WriteRequestJson[]> }
      const [tableName, requests = []] = Object.entries(body.RequestItems)[0] ?? []
      const held = Math.min(requests.length, Math.max(0, drop(requests.length, calls++)))
      if (!tableName || held === 0) return next(args)
      injected += held
      const kept = requests.slice(0, requests.length - held)
      // The document client's deserializer already unmarshalled the output this middleware sees.
      const unprocessed = { [tableName]: requests.slice(requests.length - held).map(unmarshallRequest) }
      if (kept.length === 0) {
        const output = { UnprocessedItems: unprocessed, $metadata: {} }
        return { response: { statusCode: 200, headers: {} }, output } as unknown as Awaited<
          ReturnType<typeof next>
        >
      }
      request.body = JSON.stringify({ ...body, RequestItems: { [tableName]: kept } })
      request.headers['content-length'] = String(Buffer.byteLength(request.body as string))
      const result = await next(args)
      ;(result.output as { UnprocessedItems?: unknown }).UnprocessedItems = unprocessed
      return result
    },
    { step: 'build', priority: 'low', name: 'injectUnprocessedItems', override: true },
  )
  return { injected: () => injected, calls: () => calls }
}

function unmarshallRequest(request: WriteRequestJson): WriteRequestJson {
  const { PutRequest, DeleteRequest } = request as {
    PutRequest?: { Item: Record<string, AttributeValue> }
    DeleteRequest?: { Key: Record<string, AttributeValue> }
  }
  if (PutRequest) return { PutRequest: { Item: unmarshall(PutRequest.Item) } }
  if (DeleteRequest) return { DeleteRequest: { Key: unmarshall(DeleteRequest.Key) } }
  return request
}

/** The serialized JSON body: a string, or (in current SDKs) a Uint8Array of UTF-8. */
function bodyText(body: unknown): string | undefined {
  if (typeof body === 'string') return body
  if (body instanceof Uint8Array)
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')
  return undefined
}
