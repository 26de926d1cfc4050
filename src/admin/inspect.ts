import type { ChatRepository } from '../repository/chatRepository.js'
import type { TimeToLiveStatus } from '../repository/tableDescription.js'
import type { TableStore } from '../repository/tableStore.js'
import type { ChatMessage, Subscriber, UserHistory } from '../repository/types.js'
import { mapWithConcurrency } from '../util/concurrency.js'
import { billingModeOf, keySchemaText } from './tableDiff.js'

export interface RoomSummary {
  roomName: string
  active: boolean
  createdAt: number
  subscribers: number
  users: number
}

/**
 * Every room record (active and inactive, creation order) with its subscriber and user counts:
 * one Query of the room partition, then one consistent Query per room, 8 at a time.
 *
 * @example
 * const rooms = await inspectRooms(repository, store)
 */
export async function inspectRooms(
  repository: ChatRepository,
  store: TableStore,
  { concurrency = 8 } = {},
): Promise<RoomSummary[]> {
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
  return mapWithConcurrency([...byName.values()], concurrency, async (record) => {
    const { subscribers } = await repository.roomSnapshot(record.roomName)
    return {
      ...record,
      subscribers: subscribers.length,
      users: new Set(subscribers.map((s) => s.userName)).size,
    }
  })
}

export interface RoomDetails {
  roomName: string
  /** Whether the room is listed as active; undefined when it has no guard (never subscribed). */
  listed: boolean | undefined
  createdAt: number | undefined
  users: string[]
  subscribers: Subscriber[]
  /** Most recent messages, oldest first. */
  messages: ChatMessage[]
}

/** A room's state, subscribers and recent messages; undefined when the table knows nothing of it. */
export async function inspectRoom(
  repository: ChatRepository,
  roomName: string,
  { limit = 20 }: { limit?: number } = {},
): Promise<RoomDetails | undefined> {
  const [snapshot, messages] = await Promise.all([
    repository.roomSnapshot(roomName),
    repository.recentMessages(roomName, { limit }),
  ])
  if (!snapshot.state && snapshot.subscribers.length === 0 && messages.length === 0) return undefined
  return {
    roomName,
    listed: snapshot.state?.listed,
    createdAt: snapshot.state?.createdAt,
    users: [...new Set(snapshot.subscribers.map((s) => s.userName))].sort(),
    subscribers: snapshot.subscribers,
    messages,
  }
}

/** A user's messages grouped by room; undefined when the user has posted nothing. */
export async function inspectUser(
  repository: ChatRepository,
  userName: string,
): Promise<UserHistory[] | undefined> {
  const history = await repository.historyOfUser(userName)
  return history.length > 0 ? history : undefined
}

/** The rooms a connection is subscribed to; undefined when it has no subscription. */
export async function inspectConnection(
  repository: ChatRepository,
  connectionId: string,
): Promise<{ roomName: string; userName: string }[] | undefined> {
  const rooms = await repository.roomsOfConnection(connectionId)
  return rooms.length > 0 ? rooms : undefined
}

export interface TableReport {
  tableName: string
  status: string
  billingMode: string
  keySchema: string
  indexes: { name: string; status: string; keySchema: string; projection: string }[]
  /** DescribeTable's item count: DynamoDB refreshes it about every six hours. */
  approximateItemCount: number
  sizeBytes: number
  timeToLive: TimeToLiveStatus
  /** Exact counts by toolbox entity from a full Scan; items without one count as `(none)`. */
  entities: Record<string, number>
  scannedItems: number
}

/**
 * Status, key schema, GSI, TTL and item counts by entity (a projected Scan of the whole table).
 * Undefined when the table is missing.
 *
 * @example
 * const report = await inspectTable(createTableStore({ documentClient, tableName: 'chat' }))
 */
export async function inspectTable(store: TableStore): Promise<TableReport | undefined> {
  const { tableName } = store
  const table = await store.describe()
  if (!table) return undefined
  const timeToLive = await store.timeToLive()
  const { entities, scannedItems } = await store.countByEntity()
  return {
    tableName,
    status: table.TableStatus ?? 'UNKNOWN',
    billingMode: billingModeOf(table),
    keySchema: keySchemaText(table.KeySchema),
    indexes: (table.GlobalSecondaryIndexes ?? []).map((index) => ({
      name: index.IndexName ?? '',
      status: index.IndexStatus ?? 'UNKNOWN',
      keySchema: keySchemaText(index.KeySchema),
      projection: index.Projection?.ProjectionType ?? '',
    })),
    approximateItemCount: table.ItemCount ?? 0,
    sizeBytes: table.TableSizeBytes ?? 0,
    timeToLive,
    entities: Object.fromEntries(entities),
    scannedItems,
  }
}

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
 * over the last hour: two Queries per room (the count, the newest messages).
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
  for (const room of rooms) byName.set(room.roomName, (byName.get(room.roomName) ?? false) || room.active)
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
