// One room in detail (`chatdb inspect room`, the operator view's room): its state, members and
// recent messages, and of a large room how its members lie over its partitions.
import { ChatDbError } from '../errors.js'
import { BASE_SUBSCRIPTION_SHARD } from '../keys.js'
import type { ChatRepository } from '../repository/chatRepository.js'
import type { PartitionRead } from '../repository/largeRoomReads.js'
import { layoutOf } from '../repository/roomLayout.js'
import type { ChatMessage, Subscriber } from '../repository/types.js'

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
  const layout = layoutOf(snapshot.state)
  if (layout.kind === 'small') {
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
  const { shards } = layout
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
