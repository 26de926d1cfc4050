import type { ChatTable } from '../table.js'
import { createMessageEntity } from './message.js'
import { createRoomEntity } from './room.js'
import { createRoomStateEntity } from './roomState.js'
import { createDepartureEntity, createSubscriptionEntity } from './subscription.js'

export { createMessageEntity, type MessageEntity } from './message.js'
export {
  createPresenceOutboxEntity,
  PRESENCE_OUTBOX_ENTITY,
  type PresenceOutboxEntity,
} from './presenceOutbox.js'
export { createRoomEntity, type RoomEntity } from './room.js'
export { createRoomStateEntity, type RoomStateEntity } from './roomState.js'
export {
  createSubscriberCountEntity,
  SUBSCRIBER_COUNT_ENTITY,
  type SubscriberCountEntity,
} from './subscriberCount.js'
export {
  createDepartureEntity,
  createSubscriptionEntity,
  DEPARTURE_ENTITY,
  type DepartureEntity,
  type SubscriptionEntity,
} from './subscription.js'

/**
 * The entities of the chat items of a chatdb table, bound to it (the migrator binds its own, and
 * the presence outbox and subscriber counters are built where they are written). `roomListingShards` (default 1) places the
 * Room listing records (see keys.ts `roomListingShard`).
 */
export function createEntities(table: ChatTable, { roomListingShards }: { roomListingShards?: number } = {}) {
  return {
    Room: createRoomEntity(table, roomListingShards),
    RoomState: createRoomStateEntity(table),
    Subscription: createSubscriptionEntity(table),
    Departure: createDepartureEntity(table),
    Message: createMessageEntity(table),
  }
}

export type ChatEntities = ReturnType<typeof createEntities>
