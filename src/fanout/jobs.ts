import { ChatDbError } from '../errors.js'
import type { ServerFrame } from '../protocol/frames.js'
import { MAX_QUEUE_BATCH, MAX_QUEUE_BATCH_BYTES, type OutgoingMessage } from '../queue/types.js'
import { partitionsOf } from '../repository/largeRooms.js'

/**
 * One unit of a large room's broadcast: a frame for the subscribers of one shard of the room,
 * or (a retry of posts that failed) for named connections. The frame travels once per job,
 * never once per connection.
 */
export interface FanOutJob {
  v: 1
  roomName: string
  /** The shard of the room whose subscribers get the frame. */
  shard?: number
  /** Or exactly these connections (a retry of posts that failed). */
  connectionIds?: string[]
  frame: ServerFrame
  /** 0 for a job of a broadcast; 1 for a retry of what its posts left undelivered. */
  attempt: number
  /**
   * The `@connections` endpoint to post to (`https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`),
   * set by the publisher, which knows it from its API Gateway event; the worker, woken by SQS,
   * does not. Absent: the worker's `CHATDB_MANAGEMENT_ENDPOINT`.
   */
  endpoint?: string
}

/**
 * A large room's trailing `roomStats`, sent with a delay to the end of an interval
 * (docs/data-model.md, "Large rooms"): the worker reads the room's count then and, when it
 * differs from the last `roomStats` sent, fans one out as shard jobs. It carries the service's
 * interval, which the worker has no setting for.
 */
export interface RoomStatsJob {
  v: 1
  kind: 'roomStats'
  roomName: string
  shards: number
  /** The service's `roomStatsIntervalMs`. */
  intervalMs: number
  /** As {@link FanOutJob.endpoint}: given on to the shard jobs. */
  endpoint?: string
}

/** What travels on the fan-out queue. */
export type QueuedJob = FanOutJob | RoomStatsJob

/** The jobs of one broadcast of `frame` to a large room: one per partition (base, then each shard). */
export function broadcastJobs(
  roomName: string,
  shards: number,
  frame: ServerFrame,
  endpoint?: string,
): FanOutJob[] {
  return partitionsOf(shards).map((shard) => ({
    v: 1 as const,
    roomName,
    shard,
    frame,
    attempt: 0,
    ...(endpoint ? { endpoint } : {}),
  }))
}

/** An `http(s)://` URL: what a management client can post to. */
function isEndpoint(value: unknown): boolean {
  if (typeof value !== 'string') return false
  try {
    const { protocol } = new URL(value)
    return protocol === 'https:' || protocol === 'http:'
  } catch {
    return false
  }
}

/**
 * Packs jobs into batches a queue takes: at most 10 messages and 256 KiB of bodies each.
 * A job alone over 256 KiB is refused (`queue.batchTooLong`): callers split its targets.
 */
export function packJobs(jobs: readonly QueuedJob[]): OutgoingMessage[][] {
  const batches: OutgoingMessage[][] = []
  let batch: OutgoingMessage[] = []
  let bytes = 0
  for (const job of jobs) {
    const body = JSON.stringify(job)
    const size = Buffer.byteLength(body, 'utf8')
    if (size > MAX_QUEUE_BATCH_BYTES) {
      throw new ChatDbError(
        'queue.batchTooLong',
        `a fan-out job of room "${job.roomName}" is ${size} bytes, over the ${MAX_QUEUE_BATCH_BYTES} a queue message takes`,
      )
    }
    if (batch.length === MAX_QUEUE_BATCH || bytes + size > MAX_QUEUE_BATCH_BYTES) {
      batches.push(batch)
      batch = []
      bytes = 0
    }
    batch.push({ id: `j${batch.length}`, body })
    bytes += size
  }
  if (batch.length > 0) batches.push(batch)
  return batches
}

/** Whatever the fan-out queue carries: a {@link RoomStatsJob} or (`parseJob`) a fan-out job. */
export function parseQueuedJob(body: string): QueuedJob {
  let job: Partial<RoomStatsJob> | null
  try {
    job = JSON.parse(body)
  } catch {
    throw new ChatDbError('queue.badJob', 'a fan-out job is not JSON')
  }
  if (job?.kind !== 'roomStats') return parseJob(body)
  const { v, roomName, shards, intervalMs, endpoint } = job
  if (
    v !== 1 ||
    typeof roomName !== 'string' ||
    !Number.isInteger(shards) ||
    (shards as number) < 1 ||
    typeof intervalMs !== 'number' ||
    !(intervalMs > 0) ||
    (endpoint !== undefined && !isEndpoint(endpoint))
  ) {
    throw new ChatDbError('queue.badJob', `not a roomStats job: ${body.slice(0, 200)}`)
  }
  return job as RoomStatsJob
}

/** A job as the worker receives it; anything else is refused (`queue.badJob`). */
export function parseJob(body: string): FanOutJob {
  let job: unknown
  try {
    job = JSON.parse(body)
  } catch {
    throw new ChatDbError('queue.badJob', 'a fan-out job is not JSON')
  }
  const { v, roomName, shard, connectionIds, frame, attempt, endpoint } = (job ?? {}) as Partial<FanOutJob>
  // Shard -1 is a large room's base partition (BASE_SUBSCRIPTION_SHARD in keys.ts).
  const targets =
    (Number.isInteger(shard) && (shard as number) >= -1 && connectionIds === undefined) ||
    (shard === undefined &&
      Array.isArray(connectionIds) &&
      connectionIds.every((id) => typeof id === 'string'))
  if (
    v !== 1 ||
    typeof roomName !== 'string' ||
    !targets ||
    typeof frame !== 'object' ||
    frame === null ||
    typeof (frame as { type?: unknown }).type !== 'string' ||
    !Number.isInteger(attempt) ||
    (endpoint !== undefined && !isEndpoint(endpoint))
  ) {
    throw new ChatDbError('queue.badJob', `not a fan-out job: ${body.slice(0, 200)}`)
  }
  return job as FanOutJob
}
