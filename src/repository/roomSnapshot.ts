import { QueryCommand } from 'dynamodb-toolbox/table/actions/query'
import type { ChatEntities } from '../entities/index.js'
import { subscriptionPartition } from '../keys.js'
import type { ChatTable } from '../table.js'

export interface Subscriber {
  connectionId: string
  userName: string
  subscribedAt: number
}

export interface RoomState {
  roomName: string
  createdAt: number
  listed: boolean
  version: number
}

/** What one consistent Query of a room's subscription partition tells. */
export interface RoomSnapshot {
  roomName: string
  /** The room's guard item, absent for a room never created. */
  state: RoomState | undefined
  /** Subscribers in sort-key order (by connection id). */
  subscribers: Subscriber[]
}

/**
 * Reads a room's subscription partition: its subscribers and its RoomState guard, in one
 * strongly consistent Query (more pages only past 1 MB, or past `pageSize` when set).
 * Filtered by entity, so nothing else that might share the partition is mistaken for either.
 */
export async function readRoomSnapshot(
  table: ChatTable,
  { RoomState, Subscription }: ChatEntities,
  roomName: string,
  pageSize?: number,
): Promise<RoomSnapshot> {
  const snapshot: RoomSnapshot = { roomName, state: undefined, subscribers: [] }
  let exclusiveStartKey: Record<string, unknown> | undefined
  do {
    const page = await table
      .build(QueryCommand)
      .entities(RoomState, Subscription)
      .query({ partition: subscriptionPartition(roomName) })
      .options({ consistent: true, showEntityAttr: true, limit: pageSize, exclusiveStartKey })
      .send()
    for (const item of page.Items ?? []) {
      if (item.entity === 'RoomState') {
        const { roomName: name, createdAt, listed, version } = item
        snapshot.state = { roomName: name, createdAt, listed, version }
      } else {
        const { connectionId, userName, subscribedAt } = item
        snapshot.subscribers.push({ connectionId, userName, subscribedAt })
      }
    }
    exclusiveStartKey = page.LastEvaluatedKey
  } while (exclusiveStartKey)
  return snapshot
}
