import type { QueuePort } from '../queue/types.js'
import { MAX_QUEUE_DELAY_MS } from '../queue/types.js'
import type { ChatRepository } from '../repository/chatRepository.js'
import { broadcastJobs, type RoomStatsJob } from './jobs.js'
import { publishJobs } from './publisher.js'

/** What a trailing `roomStats` needs of the repository. */
export type RoomStatsStore = Pick<ChatRepository, 'subscriberCounts' | 'claimRoomStats'>

/** A delay SQS takes: at least 1 ms (a whole second there), at most 900 s. */
const queueDelay = (ms: number) => Math.min(MAX_QUEUE_DELAY_MS, Math.max(1, Math.ceil(ms)))

/**
 * Runs a trailing `roomStats` job (the worker, at the end of an interval in which a room's
 * count changed after its last `roomStats`): reads the room's counters; when the count differs
 * from the one the last `roomStats` carried, claims the next one (as a route does, at most one
 * per interval) and fans it out as shard jobs. When a `roomStats` went out less than an interval
 * ago, or another process claims first, the job is sent again to run when that interval ends.
 * Requests: BatchGetItem (+ UpdateItem, then ceil((S + 1) / 10) SendMessageBatch).
 */
export async function runTrailingStats(
  job: RoomStatsJob,
  { store, queue, clock = Date.now }: { store: RoomStatsStore; queue: QueuePort; clock?: () => number },
): Promise<'sent' | 'unchanged' | 'later'> {
  const { roomName, intervalMs, endpoint } = job
  const read = await store.subscriberCounts(roomName)
  // The members have this count already (or the room is not large: nothing to tell).
  if (read === undefined || read.lastStats.count === read.total) return 'unchanged'
  const at = clock()
  const dueAt = (read.lastStats.at ?? Number.NEGATIVE_INFINITY) + intervalMs
  if (dueAt <= at && (await store.claimRoomStats(roomName, intervalMs, read.total))) {
    const frame = { type: 'roomStats' as const, roomName, subscriberCount: read.total }
    await publishJobs(queue, broadcastJobs(roomName, read.shards, frame, endpoint))
    return 'sent'
  }
  // A roomStats went out less than an interval ago, or was claimed since the read: this one
  // follows when that interval ends (and finds nothing to do if that one carried the count).
  await publishJobs(queue, [job], { delayMs: queueDelay(dueAt > at ? dueAt - at : intervalMs) })
  return 'later'
}
