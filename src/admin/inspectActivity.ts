// Messages per minute, of one room and of every room: the operator view's `/inspect/api/activity`
// (cli/gateway/inspectApi.ts).
import type { ChatRepository } from '../repository/chatRepository.js'
import type { TableStore } from '../repository/tableStore.js'
import { mapWithConcurrency } from '../util/concurrency.js'
import { unreadableRoom } from './unreadableRoom.js'

export interface RoomActivity {
  roomName: string
  active: boolean
  /** Every message the room has (a COUNT Query of its message partition). */
  messages: number
  /** Messages per minute, oldest minute first; the last entry is the current (partial) minute. */
  perMinute: number[]
}

/**
 * Messages per minute of one room over the last `minutes` minutes (default 60), oldest first:
 * one Query of the room's newest `limit` messages (default 1,000), so a room busier than that
 * shows only its newest ones. Reading the room's own partition keeps this one request per room.
 *
 * @example
 * const perMinute = await messagesPerMinute(repository, 'general') // 60 counts, oldest first
 */
export async function messagesPerMinute(
  repository: ChatRepository,
  roomName: string,
  { now = Date.now(), minutes = 60, limit = 1000 }: { now?: number; minutes?: number; limit?: number } = {},
): Promise<number[]> {
  const counts = new Array<number>(minutes).fill(0)
  const currentMinute = Math.floor(now / 60_000)
  for (const message of await repository.recentMessages(roomName, { limit })) {
    const index = minutes - 1 - (currentMinute - Math.floor(message.time / 60_000))
    if (index >= 0 && index < minutes) counts[index] = (counts[index] ?? 0) + 1
  }
  return counts
}

/**
 * Every room (as `inspectRooms` lists them) with its message count and its messages per minute
 * over the last hour: two Queries per room (the count, the newest messages). Rooms under a name
 * chatdb refuses are left out (`inspectRooms` reports them).
 *
 * @example
 * const activity = await inspectActivity(repository, store)
 */
export async function inspectActivity(
  repository: ChatRepository,
  store: TableStore,
  { now = Date.now(), minutes = 60, concurrency = 8 } = {},
): Promise<RoomActivity[]> {
  const rooms = await store.roomListings()
  const byName = new Map<string, boolean>()
  for (const room of rooms) {
    // A name chatdb refuses cannot be read (inspectRooms reports it): the others are shown.
    if (unreadableRoom(room.roomName)) continue
    byName.set(room.roomName, (byName.get(room.roomName) ?? false) || room.active)
  }
  return mapWithConcurrency(
    [...byName].sort(([a], [b]) => a.localeCompare(b)),
    concurrency,
    async ([roomName, active]) => {
      const [messages, perMinute] = await Promise.all([
        store.countMessages(roomName),
        messagesPerMinute(repository, roomName, { now, minutes }),
      ])
      return { roomName, active, messages, perMinute }
    },
  )
}
