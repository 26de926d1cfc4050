import type { LargeRoom, LargeRoomPublisher } from '../protocol/delivery.js'
import type { ServerFrame } from '../protocol/frames.js'
import { MAX_QUEUE_DELAY_MS, type QueuePort } from '../queue/types.js'
import { broadcastJobs, type RoomStatsJob } from './jobs.js'
import { publishJobs } from './publisher.js'

export interface QueuePublisherOptions {
  /** The queue the fan-out worker reads. */
  queue: QueuePort
  /**
   * The `@connections` endpoint put in each job (`FanOutJob.endpoint`): the worker, woken by the
   * queue, does not know it. Absent: the worker's `CHATDB_MANAGEMENT_ENDPOINT`.
   */
  endpoint?: string
}

/**
 * A large room's broadcasts as fan-out jobs on a queue: one job per partition (the base
 * partition and each shard), the frame once per job. Requests: none to DynamoDB;
 * ceil((S + 1) / 10) SendMessageBatch for a room of S shards.
 *
 * @example
 * const service = createChatService({ repository, broadcaster, publisher: createQueuePublisher({ queue }) })
 */
export function createQueuePublisher({ queue, endpoint }: QueuePublisherOptions): LargeRoomPublisher {
  return {
    kind: 'queue',
    async publish({ roomName, shards }: LargeRoom, frame: ServerFrame) {
      await publishJobs(queue, broadcastJobs(roomName, shards, frame, endpoint))
    },
    async scheduleRoomStats({ roomName, shards }: LargeRoom, { intervalMs, delayMs }) {
      const job: RoomStatsJob = {
        v: 1,
        kind: 'roomStats',
        roomName,
        shards,
        intervalMs,
        ...(endpoint ? { endpoint } : {}),
      }
      await publishJobs(queue, [job], { delayMs: Math.min(MAX_QUEUE_DELAY_MS, delayMs) })
    },
  }
}
