import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import {
  BATCH_WRITE_LIMIT,
  type BatchWriteOptions,
  type WriteRequest,
  writeInBatches,
} from '../repository/batchWrite.js'
import { withBackoff } from '../util/backoff.js'
import { chunk, mapWithConcurrency } from '../util/concurrency.js'
import { keyOf } from './scanRewrite.js'
import { isThrottling, type ThrottleBackoffOptions, throttlePolicy } from './throttling.js'
import type { WriteRateStats } from './types.js'
import { estimateWriteUnits, reportedUnits } from './writeCapacity.js'
import type { WriteRateLimiter } from './writeRateLimiter.js'

export interface MeteredWriteOptions {
  documentClient: DynamoDBDocumentClient
  tableName: string
  batchWrite: BatchWriteOptions | undefined
  limiter: WriteRateLimiter
  backoff: ThrottleBackoffOptions
  sleep: (ms: number) => Promise<void>
  /** Called before every throttle retry: throws when the run must stop (its lock is lost). */
  beforeRetry: () => void
  /** Called after every throttle, once its backoff is counted (the progress line shows it). */
  onThrottled: () => void
}

/**
 * The migrator's write path: BatchWriteItem in chunks of 25 (`concurrency` at a time), every
 * request through the WCU rate limiter (estimated from item sizes before it is sent, corrected by
 * the capacity DynamoDB reports), and a chunk that is still throttled after the SDK's retries and
 * batchWrite's UnprocessedItems retries is not a failure: it backs off (exponential, jittered,
 * capped) and is sent again, as often as it takes — a throttled table slows a migration down, it
 * does not stop it (Ctrl-C does, resumably). Resending a chunk is harmless: its puts and deletes
 * are idempotent.
 */
export function createMeteredWrite(options: MeteredWriteOptions) {
  const { documentClient, tableName, batchWrite = {}, limiter, backoff, sleep } = options
  const throttles = { count: 0, backoffMs: 0 }

  const writeChunk = async (requests: WriteRequest[]) => {
    // One request of this chunk is in flight at a time: its estimate, until DynamoDB answers.
    let inFlight = 0
    const metered: BatchWriteOptions = {
      ...batchWrite,
      concurrency: 1,
      beforeSend: async (pending) => {
        const { table, index } = estimateWriteUnits(pending)
        inFlight = table + index
        await limiter.acquire(inFlight)
      },
      onConsumedCapacity: (consumed, sent, unprocessed) => {
        // Unprocessed requests consumed nothing: they are estimated again when they are resent.
        const left = new Set(unprocessed.map(keyOf))
        const processed = left.size === 0 ? sent : sent.filter((request) => !left.has(keyOf(request)))
        const { table, index } = estimateWriteUnits(processed)
        limiter.adjust((reportedUnits(consumed, processed) ?? table + index) - inFlight)
        inFlight = 0
      },
    }
    await withBackoff(
      async () => {
        try {
          await writeInBatches(documentClient, tableName, requests, metered)
        } catch (error) {
          // A refused request consumed nothing: give its units back.
          limiter.adjust(-inFlight)
          inFlight = 0
          throw error
        }
      },
      {
        policy: throttlePolicy(backoff),
        retryError: isThrottling,
        onRetry: (delay) => {
          options.beforeRetry()
          throttles.count++
          throttles.backoffMs += delay
          options.onThrottled()
        },
        sleep,
      },
    )
  }

  return {
    async write(requests: readonly WriteRequest[]): Promise<void> {
      if (requests.length === 0) return
      await mapWithConcurrency(chunk(requests, BATCH_WRITE_LIMIT), batchWrite.concurrency ?? 4, writeChunk)
    },
    stats(maxWcu: number | undefined): WriteRateStats {
      const { consumedWcu, waitedMs } = limiter.stats()
      return {
        maxWcu,
        consumedWcu: round(consumedWcu),
        limiterWaitMs: Math.round(waitedMs),
        throttled: throttles.count,
        backoffMs: Math.round(throttles.backoffMs),
      }
    },
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100
}
