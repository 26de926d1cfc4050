import { AsyncLocalStorage } from 'node:async_hooks'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import {
  CHATDB_SCHEMA,
  createRequestDescriber,
  RECORDED,
  type RecordedRequest,
  type RequestRecorderOptions,
  WRITES,
} from './requestRecords.js'

export type { KeySchema, RecordedRequest, RequestRecorderOptions, TouchedKey } from './requestRecords.js'

type Input = Record<string, unknown>
type Output = Record<string, unknown>
type HttpRequestLike = { headers?: Record<string, string> }
type RelativeMiddleware = Parameters<DynamoDBDocumentClient['middlewareStack']['addRelativeTo']>[0]

/**
 * Records every DynamoDB request a document client makes — one record per attempt, SDK retries
 * included — with the partition keys it touched (base table and GSI), the items it read or
 * wrote and the capacity it cost there. While recording, requests ask for
 * `ReturnConsumedCapacity: 'INDEXES'` and writes for their old (or, for updates, new) image;
 * callers see the output they asked for. Where the engine reports no figure (dynalite gives no
 * GSI write capacity, batches report per table), it is computed as DynamoDB does
 * (bench/capacity.ts). Records made inside `tagged(tag, fn)` carry `tag`.
 *
 * @example
 * const recorder = recordRequests(documentClient)
 * await recorder.tagged({ at: 1_000 }, () => service.receive(request, body))
 * recorder.records() // [{ operation: 'Query', keys: [{ key: 'Subscription|lobby', rcu: 1, ... }], ... }, ...]
 */
export function recordRequests<Tag = unknown>(
  documentClient: DynamoDBDocumentClient,
  options: RequestRecorderOptions = {},
) {
  const { describe, describeFailure } = createRequestDescriber({
    keySchema: options.keySchema ?? CHATDB_SCHEMA,
    indexKeysOfDeleted: options.indexKeysOfDeleted,
  })
  const tags = new AsyncLocalStorage<Tag>()
  let records: RecordedRequest<Tag>[] = []

  // Outermost (once per call): ask for capacity and the images the arithmetic needs, and hide
  // both from callers that did not ask for them.
  documentClient.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Input
      const operation = String(context.commandName ?? '').replace(/Command$/, '')
      if (!RECORDED.has(operation)) return next(args)
      const askedCapacity = (input.ReturnConsumedCapacity ?? 'NONE') !== 'NONE'
      const extra: Input = { ReturnConsumedCapacity: 'INDEXES' }
      const injectImage = WRITES.has(operation) && (input.ReturnValues ?? 'NONE') === 'NONE'
      if (injectImage) extra.ReturnValues = operation === 'UpdateItem' ? 'ALL_NEW' : 'ALL_OLD'
      const result = await next({ ...args, input: { ...input, ...extra } })
      if (injectImage) delete (result.output as Output).Attributes
      if (!askedCapacity) delete (result.output as Output).ConsumedCapacity
      return result
    },
    { step: 'initialize', priority: 'high', name: 'chatdbRequestRecorderOptions', override: true },
  )

  // Per attempt, inside the retries: the marshalled input and the engine's answer.
  documentClient.middlewareStack.addRelativeTo(
    ((next: (args: { input: unknown; request?: unknown }) => Promise<{ output: unknown }>) =>
      async (args: { input: unknown; request?: unknown }) => {
        const target = (args.request as HttpRequestLike).headers?.['x-amz-target'] ?? ''
        const operation = target.slice(target.indexOf('.') + 1)
        const input = args.input as Input
        try {
          const result = await next(args)
          const record = describe(operation, input, result.output as Output)
          if (record) records.push({ ...record, tag: tags.getStore() })
          return result
        } catch (error) {
          const record = describeFailure(operation, input, error)
          if (record) records.push({ ...record, tag: tags.getStore() })
          throw error
        }
      }) as unknown as RelativeMiddleware,
    {
      relation: 'before',
      toMiddleware: 'deserializerMiddleware',
      name: 'chatdbRequestRecorder',
      override: true,
    },
  )

  return {
    /** Every attempt recorded since the last reset, oldest first. */
    records: (): readonly RecordedRequest<Tag>[] => records,
    reset: () => {
      records = []
    },
    /** Runs `fn`; the requests it makes are recorded with `tag`. */
    tagged: <T>(tag: Tag, fn: () => Promise<T>): Promise<T> => tags.run(tag, fn),
  }
}

export type RequestRecorder<Tag = unknown> = ReturnType<typeof recordRequests<Tag>>
