import { ChatDbError } from '../errors.js'
import { INVALID_MESSAGE_CONTENTS, type QueuePort } from '../queue/types.js'
import { withBackoff } from '../util/backoff.js'
import { packJobs, type QueuedJob } from './jobs.js'

export interface PublishReport {
  jobs: number
  /** SendMessageBatch calls, resends included. */
  batches: number
}

/**
 * Enqueues the jobs of one broadcast, in as few SendMessageBatch calls as the queue's limits
 * allow, resending entries the queue refused (with backoff: a refusal is most often throttling)
 * up to `attempts` times, then failing with `queue.failed`; an entry refused for its characters
 * (`InvalidMessageContents`) fails at once. `sendMessage` publishes before it stores, so its
 * caller answers 500 with nothing stored and the client's resend publishes again.
 *
 * @example
 * await publishJobs(queue, shards.map((shard) => ({ v: 1, kind: 'shard', roomName, shard, frame, attempt: 0 })))
 */
export async function publishJobs(
  queue: QueuePort,
  jobs: readonly QueuedJob[],
  {
    attempts = 4,
    backoffMs = 50,
    delayMs,
  }: {
    attempts?: number
    backoffMs?: number
    /** Keeps the jobs invisible this long (at most 900,000 ms, SQS's `DelaySeconds`). */
    delayMs?: number
  } = {},
): Promise<PublishReport> {
  const report: PublishReport = { jobs: jobs.length, batches: 0 }
  for (const batch of packJobs(jobs)) {
    let pending = delayMs ? batch.map((message) => ({ ...message, delayMs })) : batch
    let sent = 0
    const failed = await withBackoff(
      async (attempt) => {
        sent = attempt
        report.batches++
        const { failed } = await queue.sendBatch(pending)
        const refused = new Set(failed.map((f) => f.id))
        pending = pending.filter((entry) => refused.has(entry.id))
        return failed
      },
      {
        // The first resend waits up to twice backoffMs: backoffMs × 2^attempt, as it always has.
        policy: { baseMs: 2 * backoffMs, jitter: 'full' },
        maxAttempts: attempts,
        // A body the queue cannot carry fails the same way every time: no point resending it.
        retryResult: (failed) =>
          failed.length > 0 && !failed.some((f) => f.code === INVALID_MESSAGE_CONTENTS),
      },
    )
    if (failed.length > 0) {
      throw new ChatDbError(
        'queue.failed',
        `queue "${queue.name}" refused ${failed.length} fan-out job(s) ${sent} time(s): ${failed
          .map((f) => f.code)
          .join(', ')}`,
      )
    }
  }
  return report
}
