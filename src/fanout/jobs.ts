// zod's tree-shakable build: the worker's bundle takes only the checks used here.
import * as z from 'zod/mini'
import { ChatDbError } from '../errors.js'
import type { ServerFrame } from '../protocol/frames.js'
import { MAX_QUEUE_BATCH, MAX_QUEUE_BATCH_BYTES, type OutgoingMessage } from '../queue/types.js'
import { partitionsOf } from '../repository/roomLayout.js'

/** An `http(s)://` URL: what a management client can post to. */
function isEndpoint(value: string): boolean {
  try {
    const { protocol } = new URL(value)
    return protocol === 'https:' || protocol === 'http:'
  } catch {
    return false
  }
}

/** A frame as a job carries it: an object with a `type` (the service built it; it is not parsed again). */
const frameShape = z.object({ type: z.string() })
const frame = z.custom<ServerFrame>((value) => frameShape.safeParse(value).success)

/**
 * The `@connections` endpoint to post to (`https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`),
 * set by the publisher, which knows it from its API Gateway event; the worker, woken by SQS,
 * does not. Absent: the worker's `CHATDB_MANAGEMENT_ENDPOINT`.
 */
const endpoint = z.optional(z.string().check(z.refine(isEndpoint)))

/**
 * A job of a broadcast: the frame for the subscribers of one partition of a room (a shard, or
 * -1, the base partition: BASE_SUBSCRIPTION_SHARD in keys.ts). `attempt` is 0.
 */
const shardJob = z.object({
  v: z.literal(1),
  kind: z.literal('shard'),
  roomName: z.string(),
  shard: z.int().check(z.minimum(-1)),
  frame,
  attempt: z.int(),
  endpoint,
})

/** A retry of posts a shard job left undelivered: the frame for exactly these connections. `attempt` is 1. */
const retryJob = z.object({
  v: z.literal(1),
  kind: z.literal('retry'),
  roomName: z.string(),
  connectionIds: z.array(z.string()),
  frame,
  attempt: z.int(),
  endpoint,
})

/**
 * A large room's trailing `roomStats`, sent with a delay to the end of an interval
 * (docs/data-model.md, "Large rooms"): the worker reads the room's count then and, when it
 * differs from the last `roomStats` sent, fans one out as shard jobs. It carries the service's
 * interval (`intervalMs`), which the worker has no setting for; its `endpoint` is given on to
 * the shard jobs.
 */
const roomStatsJob = z.object({
  v: z.literal(1),
  kind: z.literal('roomStats'),
  roomName: z.string(),
  shards: z.int().check(z.minimum(1)),
  intervalMs: z.number().check(z.positive()),
  endpoint,
})

/** What travels on the fan-out queue: one schema for every kind, told apart by `kind`. */
const queuedJobSchema = z.discriminatedUnion('kind', [shardJob, retryJob, roomStatsJob])

/** What travels on the fan-out queue. */
export type QueuedJob = z.infer<typeof queuedJobSchema>
export type ShardJob = z.infer<typeof shardJob>
export type RetryJob = z.infer<typeof retryJob>
export type RoomStatsJob = z.infer<typeof roomStatsJob>
/**
 * One unit of a large room's broadcast: a frame for the subscribers of one shard of the room,
 * or (a retry of posts that failed) for named connections. The frame travels once per job,
 * never once per connection.
 */
export type FanOutJob = ShardJob | RetryJob

/** The jobs of one broadcast of `frame` to a large room: one per partition (base, then each shard). */
export function broadcastJobs(
  roomName: string,
  shards: number,
  frame: ServerFrame,
  endpoint?: string,
): ShardJob[] {
  return partitionsOf(shards).map((shard) => ({
    v: 1 as const,
    kind: 'shard' as const,
    roomName,
    shard,
    frame,
    attempt: 0,
    ...(endpoint ? { endpoint } : {}),
  }))
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

/**
 * A job as written before jobs were tagged: a shard or retry job without `kind`, told apart by
 * its targets (`shard` or `connectionIds`, never both). Jobs an older router queued during a
 * deploy still arrive so; what is written now is always tagged.
 */
function withInferredKind(json: unknown): unknown {
  if (typeof json !== 'object' || json === null || Array.isArray(json) || 'kind' in json) return json
  const hasShard = 'shard' in json
  const hasTargets = 'connectionIds' in json
  if (hasShard === hasTargets) return json
  return { ...json, kind: hasShard ? 'shard' : 'retry' }
}

/** Whatever the fan-out queue carries, tagged by `kind`; anything else is refused (`queue.badJob`). */
export function parseQueuedJob(body: string): QueuedJob {
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    throw new ChatDbError('queue.badJob', 'a fan-out job is not JSON')
  }
  const parsed = queuedJobSchema.safeParse(withInferredKind(json))
  if (!parsed.success) throw new ChatDbError('queue.badJob', `not a fan-out job: ${body.slice(0, 200)}`)
  return parsed.data
}
