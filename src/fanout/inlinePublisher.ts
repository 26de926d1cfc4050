import type { Broadcaster, LargeRoom, LargeRoomPublisher } from '../protocol/delivery.js'
import type { ServerFrame } from '../protocol/frames.js'
import type { ChatRepository } from '../repository/chatRepository.js'
import { partitionsOf } from '../repository/roomLayout.js'
import { mapWithConcurrency } from '../util/concurrency.js'

/** Partitions of a large room read at once by a broadcast posted without a queue. */
const INLINE_FAN_OUT_READS = 4

export interface InlinePublisherOptions {
  repository: Pick<ChatRepository, 'shardSubscribers'>
  /** The route's broadcaster: the frames go out through it. */
  broadcaster: Broadcaster
}

/**
 * A large room's broadcasts posted by the route itself, partition by partition (the base
 * partition and each shard, four read at once), for a stack without a fan-out queue.
 * Requests: one Query per partition.
 *
 * @example
 * const service = createChatService({ repository, broadcaster, publisher: createInlinePublisher({ repository, broadcaster }) })
 */
export function createInlinePublisher({
  repository,
  broadcaster,
}: InlinePublisherOptions): LargeRoomPublisher {
  return {
    kind: 'inline',
    async publish({ roomName, shards }: LargeRoom, frame: ServerFrame) {
      await mapWithConcurrency(partitionsOf(shards), INLINE_FAN_OUT_READS, async (shard) => {
        const targets = await repository.shardSubscribers(roomName, shard)
        await broadcaster.post(targets.map((connectionId) => ({ connectionId, frame })))
      })
    },
  }
}
