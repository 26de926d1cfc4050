import { ChatDbError } from '../errors.js'
import { BASE_SUBSCRIPTION_SHARD } from '../keys.js'
import type { ChatRepository } from '../repository/chatRepository.js'
import type { PartitionRead } from '../repository/largeRooms.js'
import type { TimeToLiveStatus } from '../repository/tableDescription.js'
import type { TableStore } from '../repository/tableStore.js'
import type { ChatMessage, Subscriber, UserHistory } from '../repository/types.js'
import { mapWithConcurrency } from '../util/concurrency.js'
import { billingModeOf, keySchemaText } from './tableDiff.js'
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
    if (state?.shards !== undefined) {
      const counts = await repository.subscriberCounts(record.roomName)
      return { ...record, subscribers: counts?.total ?? 0, shards: state.shards }
    }
    return {
      ...record,
      subscribers: subscribers.length,
      users: new Set(subscribers.map((s) => s.userName)).size,
    }
  })
  return { rooms, unreadable }
}

export interface RoomDetails {
  roomName: string
  /** Whether the room is listed as active; undefined when it has no guard (never subscribed). */
  listed: boolean | undefined
  createdAt: number | undefined
  /** Distinct user names of the room, sorted (of a large room: of the members listed). */
  users: string[]
  /** The room's subscriptions; of a large room (or with `members`) the first `members` only, each with its `shard`. */
  subscribers: RoomMember[]
  /** Subscriptions left out of `subscribers`; absent when none is. */
  membersOmitted?: number
  /** Most recent messages, oldest first. */
  messages: ChatMessage[]
  /** Set for a large room. */
  large?: LargeRoomDetails
}

/** A subscription as `inspectRoom` lists it: of a large room, with its partition (-1: the base partition). */
export type RoomMember = Subscriber & { shard?: number }

/** How a large room's subscriptions are laid out over its partitions. */
export interface LargeRoomDetails {
  shards: number
  /** Approximate: the sum of the partitions' counters (what joins and leaves decide by). */
  subscriberCount: number
  /** Exact: every partition read. Absent with `exact: false`. */
  exactSubscribers?: number
  /** Distinct user names of all the subscriptions. Absent with `exact: false`. */
  users?: number
  /**
   * Every partition, base (`shard` -1: the members from before the room became large) first:
   * `subscribers` as read (absent with `exact: false`), `counted` what its counter says.
   */
  partitions: { shard: number; subscribers?: number; counted: number | undefined }[]
  /** Subscriptions per shard, the base partition left out (counters with `exact: false`). */
  distribution: { min: number; median: number; max: number }
  /** Partitions whose counter disagrees with the exact read (`chatdb cleanup rooms` repairs them). */
  countersOff?: Pick<PartitionRead, 'shard' | 'subscribers' | 'counted'>[]
}

/** Members `inspectRoom` lists of a large room unless told otherwise. */
export const LARGE_ROOM_MEMBERS = 100

/**
 * A room's state, subscribers and recent messages; undefined when the table knows nothing of it.
 * Requests: 2 Query for a small room. A large room (its guard carries `shards`) is read whole, as
 * `chatdb cleanup rooms` would (+ a GetItem and one Query per partition), and lists only
 * `members` subscriptions (default {@link LARGE_ROOM_MEMBERS}); with `exact: false` it is
 * described by its counters instead (+ a GetItem and a BatchGetItem) and its members are a sample
 * of the base partition, already read — the operator view polls, and must not read 100k items
 * every few seconds.
 *
 * @example
 * const room = await inspectRoom(repository, 'lobby', { limit: 5, members: 20 })
 * if (room?.large) console.log(room.large.shards, room.large.exactSubscribers)
 */
export async function inspectRoom(
  repository: ChatRepository,
  roomName: string,
  { limit = 20, members, exact = true }: { limit?: number; members?: number; exact?: boolean } = {},
): Promise<RoomDetails | undefined> {
  if (members !== undefined && !(Number.isInteger(members) && members >= 0)) {
    throw new ChatDbError('validation.option', `members must be a whole number ≥ 0 (got ${members})`)
  }
  const [snapshot, messages] = await Promise.all([
    repository.roomSnapshot(roomName),
    repository.recentMessages(roomName, { limit }),
  ])
  if (!snapshot.state && snapshot.subscribers.length === 0 && messages.length === 0) return undefined
  const room = { roomName, listed: snapshot.state?.listed, createdAt: snapshot.state?.createdAt }
  const shards = snapshot.state?.shards
  if (shards === undefined) {
    const listed = members === undefined ? snapshot.subscribers : snapshot.subscribers.slice(0, members)
    const omitted = snapshot.subscribers.length - listed.length
    return {
      ...room,
      users: userNames(snapshot.subscribers),
      subscribers: listed,
      ...(omitted > 0 ? { membersOmitted: omitted } : {}),
      messages,
    }
  }
  const shown = members ?? LARGE_ROOM_MEMBERS
  if (!exact) {
    const counts = await repository.subscriberCounts(roomName)
    const partitions = (counts?.counts ?? []).map(({ shard, count }) => ({ shard, counted: count }))
    const subscriberCount = counts?.total ?? 0
    const listed = snapshot.subscribers.slice(0, shown).map((s) => ({ ...s, shard: BASE_SUBSCRIPTION_SHARD }))
    return {
      ...room,
      users: userNames(listed),
      subscribers: listed,
      membersOmitted: Math.max(0, subscriberCount - listed.length),
      messages,
      large: {
        shards,
        subscriberCount,
        partitions,
        distribution: distributionOf(
          partitions.filter((p) => p.shard !== BASE_SUBSCRIPTION_SHARD).map((p) => p.counted),
        ),
      },
    }
  }
  const read = await repository.largeRoomSnapshot(roomName)
  if (!read) throw new ChatDbError('store.contention', `room "${roomName}" stopped being large while read`)
  // The exact read lists the partitions' subscriptions one partition after another, in the
  // order of `partitions`: their sizes tell which partition each subscription is in.
  const owners = read.partitions.flatMap(({ shard, subscribers }) =>
    new Array<number>(subscribers).fill(shard),
  )
  const listed = read.subscribers
    .slice(0, shown)
    .map((s, index) => ({ ...s, shard: owners[index] as number }))
  const partitions = read.partitions.map(({ shard, subscribers, counted }) => ({
    shard,
    subscribers,
    counted,
  }))
  return {
    ...room,
    listed: read.state?.listed ?? room.listed,
    users: userNames(listed),
    subscribers: listed,
    membersOmitted: read.subscribers.length - listed.length,
    messages,
    large: {
      shards: read.shards,
      subscriberCount: Math.max(
        0,
        partitions.reduce((sum, { counted }) => sum + (counted ?? 0), 0),
      ),
      exactSubscribers: read.subscribers.length,
      users: new Set(read.subscribers.map((s) => s.userName)).size,
      partitions,
      distribution: distributionOf(
        partitions.filter((p) => p.shard !== BASE_SUBSCRIPTION_SHARD).map((p) => p.subscribers),
      ),
      countersOff: read.partitions
        .filter(({ countable, counted }) => (counted ?? 0) !== countable)
        .map(({ shard, subscribers, counted }) => ({ shard, subscribers, counted })),
    },
  }
}

function userNames(subscribers: Subscriber[]): string[] {
  return [...new Set(subscribers.map((s) => s.userName))].sort()
}

/** Fewest, median (the lower middle of an even count) and most of `sizes`; zeros when there are none. */
export function distributionOf(sizes: number[]): { min: number; median: number; max: number } {
  if (sizes.length === 0) return { min: 0, median: 0, max: 0 }
  const sorted = [...sizes].sort((a, b) => a - b)
  return {
    min: sorted[0] as number,
    median: sorted[Math.floor((sorted.length - 1) / 2)] as number,
    max: sorted[sorted.length - 1] as number,
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
