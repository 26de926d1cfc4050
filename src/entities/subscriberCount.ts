import { Entity } from 'dynamodb-toolbox/entity'
import { item } from 'dynamodb-toolbox/schema/item'
import { number } from 'dynamodb-toolbox/schema/number'
import { string } from 'dynamodb-toolbox/schema/string'
import { SUBSCRIBER_COUNT_SORT_KEY } from '../keys.js'
import type { ChatTable } from '../table.js'

export const SUBSCRIBER_COUNT_ENTITY = 'SubscriberCount'

/**
 * The subscriber counter of one partition of a large room: `{ pk: <partition>, sk: "#count",
 * _et: "SubscriberCount", n, … }`, the approximate number of subscriptions in the partition
 * (docs/data-model.md, "Large rooms"). No subscriber: every reader tells it apart by `_et`.
 * `partition` is the partition counted (keys.ts `subscriptionShardPartition(room, shard)`, the
 * base partition for `BASE_SUBSCRIPTION_SHARD`): the item's `pk`, no attribute of its own, so
 * the entity writes the item the counters always were.
 */
export function createSubscriberCountEntity(table: ChatTable) {
  return new Entity({
    name: SUBSCRIBER_COUNT_ENTITY,
    table,
    timestamps: false,
    schema: item({
      partition: string().key().savedAs('pk'),
      sk: string().key().const(SUBSCRIBER_COUNT_SORT_KEY),
      /** Subscriptions counted in the partition (approximate: never above the truth at rest). */
      n: number(),
      /** The token of the last count or repair: a count resent after a lost answer is not counted twice. */
      lastCount: string().optional(),
      /** Repairs made (absent: none). */
      repairs: number().optional(),
      /** Base partition: when the room became large (ms). */
      markedAt: number().optional(),
      /** Base partition: the last `roomStats` sent (ms, and the count it told). */
      statsAt: number().optional(),
      statsCount: number().optional(),
      /** Base partition: the end of the interval of the last trailing `roomStats` scheduled (ms). */
      trailingAt: number().optional(),
    }),
  })
}

export type SubscriberCountEntity = ReturnType<typeof createSubscriberCountEntity>
