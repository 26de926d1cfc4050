import { Entity } from 'dynamodb-toolbox/entity'
import { item } from 'dynamodb-toolbox/schema/item'
import { number } from 'dynamodb-toolbox/schema/number'
import { set } from 'dynamodb-toolbox/schema/set'
import { string } from 'dynamodb-toolbox/schema/string'
import { PRESENCE_OUTBOX_SORT_KEY, roomOfSubscriptionPartition, subscriptionPartition } from '../keys.js'
import type { ChatTable } from '../table.js'

/**
 * The presence outbox of a big room: `{ pk: "Subscription|<room>", sk: "#leaving",
 * _et: "PresenceOutbox", leavers, holder, since }`, the user names that left it in the current
 * `$disconnect` burst and the leaver that announces them (docs/data-model.md, Disconnect
 * storms; src/repository/presenceOutbox.ts). It is no subscriber: every reader of the partition
 * tells it apart by `_et`. It exists while a burst is open and is deleted when the burst's
 * holder takes its names.
 *
 * The item has no `roomName` attribute: the room is its partition key, which the entity encodes
 * and decodes (keys.ts), so the entity writes exactly the item the first outbox did.
 */
export const PRESENCE_OUTBOX_ENTITY = 'PresenceOutbox'

export function createPresenceOutboxEntity(table: ChatTable) {
  return new Entity({
    name: PRESENCE_OUTBOX_ENTITY,
    table,
    timestamps: false,
    schema: item({
      roomName: string()
        .key()
        .savedAs('pk')
        .transform({ encode: subscriptionPartition, decode: roomOfSubscriptionPartition }),
      sk: string().key().const(PRESENCE_OUTBOX_SORT_KEY),
      /** The user names that left in this burst (a string set: each added once, in one UpdateItem). */
      leavers: set(string()),
      /** The token of the leaver that holds the burst (it announces and settles). */
      holder: string(),
      /** When the holder took the burst (ms): a holder older than the lease is taken over. */
      since: number(),
    }),
  })
}

export type PresenceOutboxEntity = ReturnType<typeof createPresenceOutboxEntity>
