import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'

type HttpRequestLike = { headers?: Record<string, string> }

/**
 * Counts DynamoDB requests as they go on the wire, one per attempt (SDK retries included),
 * by operation (`Query`, `PutItem`, `BatchWriteItem`, ...), read from the `X-Amz-Target` header.
 *
 * @example
 * const counter = countRequests(documentClient)
 * await repository.postMessage(...)
 * counter.total() // 2
 */
export function countRequests(documentClient: DynamoDBDocumentClient) {
  let counts: Record<string, number> = {}
  documentClient.middlewareStack.add(
    (next) => async (args) => {
      const target = (args.request as HttpRequestLike).headers?.['x-amz-target'] ?? 'unknown'
      const operation = target.slice(target.indexOf('.') + 1)
      counts[operation] = (counts[operation] ?? 0) + 1
      return next(args)
    },
    { step: 'finalizeRequest', priority: 'low', name: 'chatdbRequestCounter', override: true },
  )
  return {
    /** Requests per operation since the last reset. */
    counts: () => ({ ...counts }),
    total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    /** Requests that write: PutItem, UpdateItem, DeleteItem, BatchWriteItem. */
    writes: () =>
      ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'].reduce((n, op) => n + (counts[op] ?? 0), 0),
    reset: () => {
      counts = {}
    },
  }
}

export type RequestCounter = ReturnType<typeof countRequests>
