import { QueryCommand } from 'dynamodb-toolbox/table/actions/query'
import { type ChatEntities, SUBSCRIBER_COUNT_ENTITY } from '../entities/index.js'
import { subscriptionPartition } from '../keys.js'
import type { ChatTable } from '../table.js'
import { queryPages } from './pager.js'
import { ENTITY_ATTRIBUTE, savedRoomState, savedSubscriber } from './savedItems.js'
import type { RoomSnapshot } from './types.js'

/**
 * Reads a room's subscription partition: its subscribers and its RoomState guard, in one
 * strongly consistent Query (more pages only past 1 MB, or past `pageSize` when set).
 * Items are told apart by their entity attribute; anything else in the partition (departures,
 * the presence outbox) is ignored, but for a large room's base counter (`baseCount`).
 */
export async function readRoomSnapshot(
  table: ChatTable,
  entities: ChatEntities,
  roomName: string,
  pageSize?: number,
): Promise<RoomSnapshot> {
  return (await readRoomSnapshotUpTo(table, entities, roomName, { pageSize })).snapshot
}

/**
 * {@link readRoomSnapshot} that stops once it has read `maxItems` items of the partition and
 * more remain: `complete` says whether the snapshot holds the whole room. A room of fewer items
 * costs exactly the requests the full read costs (the last page is only capped, not split).
 * `$disconnect` reads a room this way to tell a small room (settled as always) from a big one
 * (whose departures are coalesced, see `presenceOutbox.ts`).
 */
export async function readRoomSnapshotUpTo(
  table: ChatTable,
  { RoomState, Subscription }: ChatEntities,
  roomName: string,
  { pageSize, maxItems = Number.POSITIVE_INFINITY }: { pageSize?: number | undefined; maxItems?: number },
): Promise<{ snapshot: RoomSnapshot; complete: boolean }> {
  const snapshot: RoomSnapshot = { roomName, state: undefined, subscribers: [] }
  const base = table
    .build(QueryCommand)
    .entities(RoomState, Subscription)
    .query({ partition: subscriptionPartition(roomName) })
    // The partition holds only these two entities by key design: no server-side filter needed.
    .options({ consistent: true, limit: pageSize, entityAttrFilter: false })
    .params()
  // The limit of a capped read: a full page of `maxItems` items may still be the whole room;
  // DynamoDB then answers a LastEvaluatedKey all the same, and the room counts as big.
  const limit = Math.min(pageSize ?? Number.POSITIVE_INFINITY, maxItems)
  const params = Number.isFinite(limit) ? { ...base, Limit: limit } : base
  let read = 0
  for await (const { items, lastKey } of queryPages(table.getDocumentClient(), params)) {
    for (const item of items) {
      const entity = item[ENTITY_ATTRIBUTE]
      if (entity === RoomState.entityName) snapshot.state = savedRoomState(item)
      else if (entity === Subscription.entityName) snapshot.subscribers.push(savedSubscriber(item))
      else if (entity === SUBSCRIBER_COUNT_ENTITY) {
        if (typeof item.n === 'number') snapshot.baseCount = item.n
        if (typeof item.markedAt === 'number') snapshot.markedAt = item.markedAt
        if (typeof item.lastCount === 'string') snapshot.baseCountToken = item.lastCount
      }
    }
    read += items.length
    if (lastKey !== undefined && read >= maxItems) return { snapshot, complete: false }
  }
  return { snapshot, complete: true }
}
