import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb'
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { ChatDbError } from '../errors.js'
import { withBackoff } from '../util/backoff.js'
import { chunk, mapWithConcurrency } from '../util/concurrency.js'

/** One element of BatchWriteItem's `RequestItems[table]`. */
export type WriteRequest = NonNullable<
  NonNullable<ConstructorParameters<typeof BatchWriteCommand>[0]['RequestItems']>[string]
>[number]

export interface BatchWriteOptions {
  /** Batches in flight at once (default 4). */
  concurrency?: number
  /** Attempts per batch while DynamoDB keeps returning UnprocessedItems (default 10). */
  maxAttempts?: number
  /** First backoff delay; doubled per attempt with full jitter, capped at `maxDelayMs`. */
  baseDelayMs?: number
  maxDelayMs?: number
  /** Called after each batch lands, with the number of items it wrote. */
  onProgress?: (written: number) => void
  /**
   * Awaited before every BatchWriteItem (retries included) with the requests it is about to
   * send: a write-rate limiter waits here (the migrator's `maxWcu`).
   */
  beforeSend?: (pending: readonly WriteRequest[]) => Promise<void>
  /**
   * Asks for `ReturnConsumedCapacity: INDEXES` and is called after every BatchWriteItem with
   * what the table reported (undefined when the endpoint does not say), the requests sent and
   * those that came back unprocessed.
   */
  onConsumedCapacity?: (
    consumed: ConsumedCapacity | undefined,
    sent: readonly WriteRequest[],
    unprocessed: readonly WriteRequest[],
  ) => void
}

export interface BatchWriteResult {
  /** BatchWriteItem requests sent, retries included. */
  requests: number
  /** Items that came back in UnprocessedItems at least once. */
  retriedItems: number
}

/** BatchWriteItem takes at most 25 requests. */
export const BATCH_WRITE_LIMIT = 25

/**
 * Writes `requests` with BatchWriteItem in chunks of 25, `concurrency` chunks at a time, and
 * resends whatever comes back in `UnprocessedItems` with exponential backoff and full jitter
 * (DynamoDB returns them under throttling; toolbox's BatchWriteCommand does not resend them).
 * Throws `store.unprocessedItems` when a chunk is still unprocessed after `maxAttempts`.
 */
export async function writeInBatches(
  documentClient: DynamoDBDocumentClient,
  tableName: string,
  requests: readonly WriteRequest[],
  options: BatchWriteOptions = {},
): Promise<BatchWriteResult> {
  const result: BatchWriteResult = { requests: 0, retriedItems: 0 }
  const { beforeSend, onConsumedCapacity } = options
  const send = async (pending: WriteRequest[]) => {
    await beforeSend?.(pending)
    const { UnprocessedItems, ConsumedCapacity } = await documentClient.send(
      new BatchWriteCommand({
        RequestItems: { [tableName]: pending },
        ...(onConsumedCapacity ? { ReturnConsumedCapacity: 'INDEXES' as const } : {}),
      }),
    )
    const unprocessed = UnprocessedItems?.[tableName] ?? []
    onConsumedCapacity?.(
      ConsumedCapacity?.find((c) => c.TableName === tableName),
      pending,
      unprocessed,
    )
    return unprocessed
  }
  await mapWithConcurrency(chunk(requests, BATCH_WRITE_LIMIT), options.concurrency ?? 4, (batch) =>
    writeBatch(batch, send, options, result),
  )
  return result
}

/**
 * Sends one batch (at most 25 requests) through `send`, which returns what DynamoDB left
 * unprocessed, and resends that with backoff until none is left. Counts into `result`. For
 * callers that send their own BatchWriteItem (`importTable` sends raw DynamoDB JSON items).
 */
export async function writeBatch<R>(
  batch: readonly R[],
  send: (pending: R[]) => Promise<readonly R[]>,
  options: BatchWriteOptions,
  result: BatchWriteResult,
): Promise<void> {
  await resendUnprocessed(batch, send, options, 'batch writes', (sent, unprocessed) => {
    result.requests++
    options.onProgress?.(sent.length - unprocessed.length)
    result.retriedItems += unprocessed.length
  })
}

/**
 * The loop of every batch request (BatchWriteItem, BatchGetItem): sends `batch` through `send`,
 * which answers what DynamoDB left unprocessed (it does under throttling), and resends that with
 * exponential backoff and full jitter until none is left; `store.unprocessedItems` when some is
 * still left after `maxAttempts`. `onAttempt` is told what each attempt sent and got back.
 */
export async function resendUnprocessed<R>(
  batch: readonly R[],
  send: (pending: R[]) => Promise<readonly R[]>,
  {
    maxAttempts = 10,
    baseDelayMs = 25,
    maxDelayMs = 2_000,
  }: Pick<BatchWriteOptions, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs'>,
  what: string,
  onAttempt?: (sent: readonly R[], unprocessed: readonly R[]) => void,
): Promise<void> {
  let pending = [...batch]
  const unprocessed = await withBackoff(
    async () => {
      const unprocessed = await send(pending)
      onAttempt?.(pending, unprocessed)
      pending = [...unprocessed]
      return unprocessed
    },
    {
      policy: { baseMs: baseDelayMs, capMs: maxDelayMs, jitter: 'full' },
      maxAttempts,
      retryResult: (unprocessed) => unprocessed.length > 0,
    },
  )
  if (unprocessed.length > 0) {
    throw new ChatDbError(
      'store.unprocessedItems',
      `${unprocessed.length} of ${batch.length} ${what} still unprocessed after ${maxAttempts} attempts`,
    )
  }
}
