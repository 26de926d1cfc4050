// The table's rooms at a glance (`chatdb inspect rooms`, the operator view's list): one line per room.
import type { ChatRepository } from '../repository/chatRepository.js'
import { layoutOf } from '../repository/roomLayout.js'
import type { TableStore } from '../repository/tableStore.js'
import { mapWithConcurrency } from '../util/concurrency.js'
import { type UnreadableRoom, unreadableRoom } from './unreadableRoom.js'

export interface RoomSummary {
  roomName: string
  active: boolean
  createdAt: number
  /** Exact for a small room; for a large one the sum of its counters (approximate). */
  subscribers: number
  /** Distinct user names; absent for a large room (counting them means reading every shard). */
  users?: number
  /** Set for a large room: its subscription shards. */
  shards?: number
}

/** `inspectRooms`' answer: the rooms, and those under a name chatdb cannot read (reported, not read). */
export interface RoomsOverview {
  rooms: RoomSummary[]
  unreadable: UnreadableRoom[]
}

/**
 * Every room record (active and inactive, creation order) with its subscriber and user counts:
 * one Query of the room partition, then one consistent Query per room, 8 at a time. A large room
 * (its guard, read in that Query, carries `shards`) is counted by its counters instead (+ a
 * GetItem and a BatchGetItem): its base partition is not the room, and reading every shard of
 * every large room on each call would cost more than a listing is worth. A record under a name
 * chatdb refuses (an import can bring one) is listed in `unreadable`, and the others are read.
 *
 * @example
 * const { rooms, unreadable } = await inspectRooms(repository, store)
 */
export async function inspectRooms(
  repository: ChatRepository,
  store: TableStore,
  { concurrency = 8 } = {},
): Promise<RoomsOverview> {
  const records = await store.roomListings()
  // The sort key starts with the state: order by creation instead, one line per name (a room
  // caught mid-transition can briefly have both records).
  const byName = new Map<string, (typeof records)[number]>()
  for (const record of records.sort(
    (a, b) => a.createdAt - b.createdAt || a.roomName.localeCompare(b.roomName),
  )) {
    const seen = byName.get(record.roomName)
    if (!seen || record.active) byName.set(record.roomName, record)
  }
  const unreadable: UnreadableRoom[] = []
  const readable = [...byName.values()].filter((record) => {
    const problem = unreadableRoom(record.roomName)
    if (problem) unreadable.push(problem)
    return !problem
  })
  const rooms = await mapWithConcurrency(readable, concurrency, async (record): Promise<RoomSummary> => {
    const { subscribers, state } = await repository.roomSnapshot(record.roomName)
    const layout = layoutOf(state)
    if (layout.kind === 'large') {
      const counts = await repository.subscriberCounts(record.roomName)
      return { ...record, subscribers: counts?.total ?? 0, shards: layout.shards }
    }
    return {
      ...record,
      subscribers: subscribers.length,
      users: new Set(subscribers.map((s) => s.userName)).size,
    }
  })
  return { rooms, unreadable }
}
