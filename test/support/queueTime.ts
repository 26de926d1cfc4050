import type { MemoryQueue } from '../../src/queue/memoryQueue.js'
import type { SqsBatchResponse, SqsEvent } from '../../src/queue/sqsEvents.js'

/**
 * Virtual time for a memory queue and its poller: the queue reads `clock`, and `skipIdle` moves
 * it past a visibility timeout whenever nothing is left but messages waiting one out (none
 * visible, no invocation of `handler` running). A test then never waits out a real visibility
 * timeout, yet a message is never seen again while it is still being worked: time only jumps
 * when every invocation has ended (the poller deletes a batch in the same turn its handler
 * returns, so an idle poller has nothing half done).
 *
 * @example
 * const time = queueTime()
 * const queue = createMemoryQueue({ visibilityTimeoutMs: 3_000, clock: time.clock })
 * startQueuePoller({ queue, handler: time.counted(worker.handler) })
 * // Checked after a timer, never in the turn a send or receive resolved.
 * while (!done()) { await sleep(10); time.skipIdle(queue, 3_000) }
 */
export function queueTime() {
  let skew = 0
  let running = 0
  return {
    clock: () => Date.now() + skew,
    /** `handler`, with its invocations counted while they run. */
    counted(handler: (event: SqsEvent) => Promise<SqsBatchResponse | undefined>) {
      return async (event: SqsEvent) => {
        running++
        try {
          return await handler(event)
        } finally {
          running--
        }
      }
    },
    /** Moves time on by `ms` when the queue only holds messages in flight and nothing runs. */
    skipIdle(queue: Pick<MemoryQueue, 'stats'>, ms: number): boolean {
      const { visible, inFlight } = queue.stats()
      if (running > 0 || visible > 0 || inFlight === 0) return false
      skew += ms
      return true
    },
    /** How far time has been moved on (ms). */
    skipped: () => skew,
  }
}
