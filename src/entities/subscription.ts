import { Entity } from 'dynamodb-toolbox/entity'
import { boolean } from 'dynamodb-toolbox/schema/boolean'
import { item } from 'dynamodb-toolbox/schema/item'
import { number } from 'dynamodb-toolbox/schema/number'
import { string } from 'dynamodb-toolbox/schema/string'
import { subscriptionKey } from '../keys.js'
import type { ChatTable } from '../table.js'

/** Where a subscription (or the departure it became) lives: its room's partition, or a large room's shard partition. */
const subscriptionKeyOf = ({ partition, roomName, connectionId }: SubscriptionKeyInput) => {
  const key = subscriptionKey(roomName, connectionId)
  return partition === undefined ? key : { ...key, pk: partition }
}

interface SubscriptionKeyInput {
  partition?: string | undefined
  roomName: string
  connectionId: string
}

/** The attributes a Subscription and the Departure it turns into share. */
const membershipAttributes = {
  /**
   * The partition the item is in: on a write, only when it is not the room's own
   * `Subscription|<room>` (a large room's shard, `Subscription|<room>|<k>`, keys.ts
   * `subscriptionShardPartition`); on a read, always. It is the item's `pk`, no attribute of its own.
   */
  partition: string().key().savedAs('pk').optional(),
  roomName: string().key(),
  connectionId: string().key().savedAs('data'),
  userName: string(),
  subscribedAt: number(),
  /** Which subscribe call wrote the item: tells its own write, answered late, from an older one. */
  attempt: string().optional(),
  /** Set when a request failed after touching this subscription: its announcement or room settlement may be owed. */
  unfinished: boolean().optional(),
}

/** `{ pk: "Subscription|<room>", sk: "<room>|<connection id>", data: <connection>, userName }` */
export function createSubscriptionEntity(table: ChatTable) {
  return new Entity({
    name: 'Subscription',
    table,
    timestamps: false,
    schema: item(membershipAttributes),
    computeKey: subscriptionKeyOf,
  })
}

export type SubscriptionEntity = ReturnType<typeof createSubscriptionEntity>

export const DEPARTURE_ENTITY = 'Departure'

/**
 * What an unsubscribe turns a Subscription into: the same item (key, `data`, `userName`) with
 * `_et: "Departure"` and `leftAt`. It is no subscriber (every reader tells items apart by `_et`),
 * but a retried unsubscribe still learns from it who left. Deleted with the connection's
 * subscriptions at `$disconnect`, overwritten by a new subscribe.
 */
export function createDepartureEntity(table: ChatTable) {
  return new Entity({
    name: DEPARTURE_ENTITY,
    table,
    timestamps: false,
    schema: item({
      ...membershipAttributes,
      /** When the connection left (ms). */
      leftAt: number(),
    }),
    computeKey: subscriptionKeyOf,
  })
}

export type DepartureEntity = ReturnType<typeof createDepartureEntity>
