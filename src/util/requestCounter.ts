import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'

type HttpRequestLike = { headers?: Record<string, string> }

/**
 * Calls `listener` with the operation (`Query`, `PutItem`, ...) of every DynamoDB request as it
 * goes on the wire, one call per attempt (SDK retries included), read from the `X-Amz-Target`
 * header. A second listener under the same `name` replaces the first.
 *
 * @example
 * onDynamoDbRequest(documentClient, 'myCounter', (operation) => counts.push(operation))
 */
export function onDynamoDbRequest(
  documentClient: DynamoDBDocumentClient,
  name: string,
  listener: (operation: string) => void,
): void {
  documentClient.middlewareStack.add(
    (next) => async (args) => {
      const target = (args.request as HttpRequestLike).headers?.['x-amz-target'] ?? 'unknown'
      listener(target.slice(target.indexOf('.') + 1))
      return next(args)
    },
    { step: 'finalizeRequest', priority: 'low', name, override: true },
  )
}

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
  onDynamoDbRequest(documentClient, 'chatdbRequestCounter', (operation) => {
    counts[operation] = (counts[operation] ?? 0) + 1
  })
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
