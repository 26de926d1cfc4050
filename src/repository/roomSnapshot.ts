import { QueryCommand } from 'dynamodb-toolbox/table/actions/query'
import type { ChatEntities } from '../entities/index.js'
import { subscriptionPartition } from '../keys.js'
import type { ChatTable } from '../table.js'
import { queryPages } from './pager.js'
import { ENTITY_ATTRIBUTE, savedRoomState, savedSubscriber } from './savedItems.js'
import type { RoomSnapshot } from './types.js'

/**
 * Reads a room's subscription partition: its subscribers and its RoomState guard, in one
 * strongly consistent Query (more pages only past 1 MB, or past `pageSize` when set).
 * Items are told apart by their entity attribute; anything else in the partition is ignored.
 */
export async function readRoomSnapshot(
  table: ChatTable,
  { RoomState, Subscription }: ChatEntities,
  roomName: string,
  pageSize?: number,
): Promise<RoomSnapshot> {
  const snapshot: RoomSnapshot = { roomName, state: undefined, subscribers: [] }
  const params = table
    .build(QueryCommand)
    .entities(RoomState, Subscription)
    .query({ partition: subscriptionPartition(roomName) })
    // The partition holds only these two entities by key design: no server-side filter needed.
    .options({ consistent: true, limit: pageSize, entityAttrFilter: false })
    .params()
  for await (const { items } of queryPages(table.getDocumentClient(), params)) {
    for (const item of items) {
      const entity = item[ENTITY_ATTRIBUTE]
      if (entity === RoomState.entityName) snapshot.state = savedRoomState(item)
      else if (entity === Subscription.entityName) snapshot.subscribers.push(savedSubscriber(item))
    }
  }
  return snapshot
}
