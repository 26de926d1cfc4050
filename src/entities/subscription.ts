import { Entity } from 'dynamodb-toolbox/entity'
import { item } from 'dynamodb-toolbox/schema/item'
import { number } from 'dynamodb-toolbox/schema/number'
import { string } from 'dynamodb-toolbox/schema/string'
import { subscriptionKey } from '../keys.js'
import type { ChatTable } from '../table.js'

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
    }),
    computeKey: ({ roomName, connectionId }) => subscriptionKey(roomName, connectionId),
  })
}

export type SubscriptionEntity = ReturnType<typeof createSubscriptionEntity>
