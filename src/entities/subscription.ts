import { Entity } from 'dynamodb-toolbox/entity'
import { boolean } from 'dynamodb-toolbox/schema/boolean'
import { item } from 'dynamodb-toolbox/schema/item'
import { number } from 'dynamodb-toolbox/schema/number'
import { string } from 'dynamodb-toolbox/schema/string'
import { subscriptionKey } from '../keys.js'
import type { ChatTable } from '../table.js'

/**
 * What an unsubscribe turns a Subscription into: the same item (key, `data`, `userName`) with
 * `_et: "Departure"` and `leftAt`. It is no subscriber (every reader tells items apart by `_et`),
 * but a retried unsubscribe still learns from it who left. Written and read by the repository
 * with raw requests (no toolbox entity: nothing else ever parses one); deleted with the
 * connection's subscriptions at `$disconnect`, overwritten by a new subscribe.
 */
export const DEPARTURE_ENTITY = 'Departure'

/**
 * The subscriber counter of one partition of a large room: `{ pk: <partition>, sk: "#count",
 * n }`, the approximate number of subscriptions in the partition (docs/data-model.md, "Large
 * rooms"). No subscriber: every reader tells it apart by `_et`. Raw requests only (`largeRooms.ts`).
 */
export const SUBSCRIBER_COUNT_ENTITY = 'SubscriberCount'

/** `{ pk: "Subscription|<room>", sk: "<room>|<connection>", data: <connection>, userName }` */
export function createSubscriptionEntity(table: ChatTable) {
  return new Entity({
    name: 'Subscription',
    table,
    timestamps: false,
    schema: item({
      roomName: string().key(),
      connectionId: string().key().savedAs('data'),
      userName: string(),
      subscribedAt: number(),
      /** Which subscribe call wrote the item: tells its own write, answered late, from an older one. */
      attempt: string().optional(),
      /** Set when a request failed after touching this subscription: its announcement or room settlement may be owed. */
      unfinished: boolean().optional(),
    }),
    computeKey: ({ roomName, connectionId }) => subscriptionKey(roomName, connectionId),
  })
}

export type SubscriptionEntity = ReturnType<typeof createSubscriptionEntity>
