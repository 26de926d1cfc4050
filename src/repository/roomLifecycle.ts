/**
 * A room's life, as one state machine. Read this first to learn what happens when a room grows,
 * empties or is left; docs/data-model.md ("Rooms without transactions", "Large rooms") has the
 * proofs and the request counts.
 *
 * **States.** The guard (RoomState, `Subscription|<room>` `#room`) holds them: `listed`,
 * `version` (moved on by every change) and, once large, `shards`. The layout part is a
 * {@link RoomLayout}, read once per operation (remembered once large, or told by the room's
 * first read) and passed down; results carry it as `layout: 'small' | 'large'`.
 *
 *     absent ──created──► small·listed ⇄ small·unlisted        (listed iff it has subscribers)
 *                              │ grown (the subscribe that reaches `largeRoomThreshold`)
 *                              ▼
 *                         large·listed ⇄ large·unlisted        (large for good: no way back)
 *
 * **Transitions, and the write that makes each.**
 *
 * - *created / reactivated / emptied* (the listing): a claim, a PutItem of the guard conditioned
 *   on the `version` read, then the listing records put and deleted (`roomUpkeep.ts`: `claim`,
 *   `apply`). The settle loop reads the room again after every claim it won and ends only on a
 *   read that needs no claim, so the last claim is followed by a read that agreed with the room.
 *   A small room is read with one consistent Query (`settleSmall`); a large one exactly, base
 *   partition (guard) first then every shard (`settleLarge`), and only when a joiner finds it
 *   unlisted (`settleLargeIfUnlisted`) or its counters say it may be empty (`countDeparture`).
 * - *grown* (small → large): {@link markLarge}. The base counter is created (`if_not_exists`,
 *   the members the crosser saw), then the guard gets `shards` and `version + 1` on condition
 *   `attribute_exists(version) AND attribute_not_exists(shards)`, then the base partition is read
 *   once more and its counter repaired.
 *
 * **What happens when a connection…**
 *
 * - *joins a room it does not know large*: it writes its subscription into the base partition,
 *   reads the room (one Query) and switches on the layout that read shows. Small: the room is
 *   settled (`settleSmall`), and if it now has `largeRoomThreshold` members this subscribe makes
 *   it large (`grow`): the members stay in the base partition, and the answer is a large room's.
 *   Large (another process made it so): `moveToShard`, then it joins as below.
 * - *joins a large room*: it writes into its shard (`fnv1a(connection) mod shards`), reads the
 *   guard and every counter, counts itself in, and settles the room if the guard says unlisted.
 * - *leaves* (unsubscribe, `$disconnect`, a gone connection): small, its subscription becomes a
 *   departure (or is deleted) and the room read after it is settled: emptied when it was the last.
 *   Large, its partition's counter goes down (`countDeparture`), and only when the counters say the
 *   room may be empty is it read exactly and settled. A large room never shrinks back to small.
 *
 * **What a racing writer sees.**
 *
 * - Two crossings at once (even with different `largeRoomShards`): one marking lands, the other
 *   fails its condition and reads the guard (GetItem): both answer the same layout.
 * - A listing claim read before the marking fails (the marking moved `version` on) and reads
 *   again, so no claim puts the guard back without `shards`; a claim after it carries `shards`.
 *   A small room's settle whose read after a claim shows the room large hands on to `settleLarge`.
 * - A subscribe that read the room small but whose read after its write shows it large takes its
 *   base write back and joins its shard (`moveToShard`), counting itself out of the base
 *   partition when it wrote within `MARKING_WINDOW_MS` of the marking (the marking may have
 *   counted it). An unsubscribe that read it small counts its departure out of the base
 *   partition, or leaves its shard (`largeMembership.ts`).
 * - A subscribe that read it just before the marking stays in the base partition uncounted: the
 *   count errs low, which costs an exact read and never hides an empty room.
 * - A settler's claim may land after a member joined a partition it had already read:
 *
 *       leaver L reads guard v, every shard: empty     joiner J writes shard 3
 *                                                      J reads the guard: listed (v) → nothing to do
 *       L claims v+1 (not listed), applies             ← unlisted with J in it
 *       L reads the room again: J is there → claims v+2 (listed), applies, reads: agrees → done
 *
 * Who does what: `membership.ts` (subscribe, unsubscribe) and `connections.ts` (`$disconnect`)
 * read the layout and drive these transitions; `largeMembership.ts` joins and leaves a large
 * room by key; `roomUpkeep.ts` claims, applies and loops; `largeRoomReads.ts` and
 * `largeRoomCounters.ts` read and count the partitions.
 */
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { SUBSCRIBER_COUNT_ENTITY } from '../entities/index.js'
import { BASE_SUBSCRIPTION_SHARD, roomStateKey, subscriberCountKey, subscriptionKey } from '../keys.js'
import { conditionHeld } from './conditionalCheck.js'
import type { LargeRoomCounters } from './largeRoomCounters.js'
import { basePartition, counterSortsFirst, type LargeRoomReads, MARKING_WINDOW_MS } from './largeRoomReads.js'
import type { LayoutMemory, RoomLayout } from './roomLayout.js'
import type { createRoomUpkeep } from './roomUpkeep.js'
import { ENTITY_ATTRIBUTE } from './savedItems.js'
import type { SubscriptionWrites } from './subscriptionWrites.js'
import type { RoomSnapshot, RoomState, RoomTransition } from './types.js'

/**
 * How far one partition's counter may count too many before a room's emptiness could be missed:
 * a leaver whose partition counts at most this many reads every counter (docs/data-model.md).
 * Counters drift mostly low (a count that may not have landed is not resent), so this is a
 * margin for the rare count the SDK resent after it landed.
 */
export const OWN_COUNT_SLACK = 8
/** A room whose counters sum to at most this many per partition is read exactly and settled. */
export const ROOM_COUNT_SLACK_PER_PARTITION = 2

/** What the crossing needs: the table, the clock, the base read, the counters and the layout memory. */
export interface CrossingParts {
  documentClient: DynamoDBDocumentClient
  tableName: string
  now: () => number
  readSnapshot: (roomName: string) => Promise<RoomSnapshot>
  reads: Pick<LargeRoomReads, 'readCounters'>
  counters: Pick<LargeRoomCounters, 'repairCounts'>
  layouts: LayoutMemory
}

/**
 * The crossing (grown): makes a room large, once and for all, and answers the layout it has
 * then. The guard gets `shards` unless it already has some, so concurrent crossings agree on the
 * first one written and a crossing that lost reads it (small: the guard is gone). The marking
 * also moves the guard's `version` on, so a listing claim read before it (which would put the
 * guard back without `shards`) fails its condition and reads again. The base partition's
 * counter starts at the members it has (`baseCount`), written first, so nobody counts into it
 * before it exists; the winner reads the base partition once more to count the subscribes that
 * landed during the crossing. Requests: 2 UpdateItem + Query (+ an UpdateItem to repair the
 * count; + a BatchGetItem for a name that sorts before `#count`), or a GetItem when another
 * crossing was first.
 */
export async function markLarge(
  parts: CrossingParts,
  roomName: string,
  shards: number,
  baseCount: number,
): Promise<RoomLayout> {
  const { documentClient, tableName } = parts
  await documentClient.send(
    new UpdateCommand({
      TableName: tableName,
      Key: subscriberCountKey(roomName, BASE_SUBSCRIPTION_SHARD),
      UpdateExpression:
        'SET #et = :et, #n = if_not_exists(#n, :n), #markedAt = if_not_exists(#markedAt, :now)',
      ExpressionAttributeNames: { '#et': ENTITY_ATTRIBUTE, '#n': 'n', '#markedAt': 'markedAt' },
      ExpressionAttributeValues: { ':et': SUBSCRIBER_COUNT_ENTITY, ':n': baseCount, ':now': parts.now() },
    }),
  )
  const marked = await conditionHeld(
    documentClient.send(
      new UpdateCommand({
        TableName: tableName,
        Key: roomStateKey(roomName),
        UpdateExpression: 'SET #shards = :shards ADD #version :one',
        // Only an existing guard (never a guard of nothing but `shards`), and only once.
        ConditionExpression: 'attribute_exists(#version) AND attribute_not_exists(#shards)',
        ExpressionAttributeNames: { '#shards': 'shards', '#version': 'version' },
        ExpressionAttributeValues: { ':shards': shards, ':one': 1 },
      }),
    ),
  )
  // Another crossing was first (or the guard is gone): its layout is the room's.
  if (!marked) return parts.layouts.read(roomName)
  // Subscribes that read the room before the marking may still have landed in the base
  // partition uncounted: one more read of it sets its counter right (once per room).
  const baseCounterBefore = counterSortsFirst(roomName)
    ? undefined
    : (await parts.reads.readCounters(roomName, [BASE_SUBSCRIPTION_SHARD])).get(BASE_SUBSCRIPTION_SHARD)
  const base = await parts.readSnapshot(roomName)
  await parts.counters.repairCounts({ roomName, partitions: [basePartition(base, baseCounterBefore)] })
  return parts.layouts.remember(roomName, { kind: 'large', shards })
}

/**
 * The transitions of {@link markLarge}'s state machine that the repository's operations drive,
 * each named after what it does to the room.
 *
 * @example
 * const lifecycle = createRoomLifecycle({ ...parts, upkeep, writes, counters, largeRoomShards: 64 })
 * const transition = await lifecycle.settleSmall(snapshot, { owedByFailedRequest: false })
 */
export function createRoomLifecycle(
  parts: CrossingParts & {
    reads: Pick<LargeRoomReads, 'readCounters' | 'readCounts'>
    counters: Pick<LargeRoomCounters, 'repairCounts' | 'adjustCount'>
    upkeep: Pick<ReturnType<typeof createRoomUpkeep>, 'settle' | 'settleLarge' | 'apply'>
    writes: Pick<SubscriptionWrites, 'deleteOwnWrite'>
    largeRoomShards: number
  },
) {
  const { upkeep, counters, reads, writes } = parts

  /**
   * Settles a small room from the read after a write (created, reactivated, emptied). When a
   * failed request left the caller's item unfinished, also re-applies the guard's state to the
   * listing records: that request may have claimed a transition and died before writing its
   * records (the guard then agrees with the room, and the settle alone would see nothing to do).
   * Off the steady-state path: only after a failure.
   */
  async function settleSmall(
    snapshot: RoomSnapshot,
    { owedByFailedRequest }: { owedByFailedRequest: boolean },
  ): Promise<RoomTransition | undefined> {
    const transition = await upkeep.settle(snapshot)
    if (!transition && owedByFailedRequest && snapshot.state) await upkeep.apply(snapshot.state)
    return transition
  }

  /** The subscribe that brought a small room to the threshold makes it large (grown). */
  function grow(snapshot: RoomSnapshot): Promise<RoomLayout> {
    return markLarge(parts, snapshot.roomName, parts.largeRoomShards, snapshot.subscribers.length)
  }

  /**
   * A subscribe that wrote into the base partition (it read the room small) and then read it
   * large: its subscription moves to its shard, so this takes back its own base write. Written
   * while the room was being marked, the marking (or a repair since) may have counted it in the
   * base partition: counted out there. Erring low is safe (a low count costs an exact read; a
   * high one could hide an empty room); later, nobody counted it: repairs leave it out by the
   * same rule (`countableInBase`). Requests: DeleteItem (+ UpdateItem).
   */
  async function moveToShard(
    snapshot: RoomSnapshot,
    own: { connectionId: string; attempt: string; subscribedAt: number },
  ): Promise<void> {
    const { roomName, markedAt } = snapshot
    const moved = await writes.deleteOwnWrite(subscriptionKey(roomName, own.connectionId), own.attempt)
    if (moved && (markedAt === undefined || own.subscribedAt <= markedAt + MARKING_WINDOW_MS)) {
      await counters.adjustCount(roomName, BASE_SUBSCRIPTION_SHARD, -1)
    }
  }

  /**
   * Counts a departure out of a partition of a large room (its subscription already gone), and
   * settles the room when its counters say it may be empty (emptied): every counter is read only
   * when the leaver's own partition counts at most {@link OWN_COUNT_SLACK} (near 0 when the room
   * is empty), and the room is read exactly only when they sum to at most
   * {@link ROOM_COUNT_SLACK_PER_PARTITION} per partition. `countToken` names the departure
   * (default: one of its own), so a second count of it fails its condition.
   * Requests: UpdateItem (+ BatchGetItem and an exact read when nearly empty).
   */
  async function countDeparture(
    roomName: string,
    partition: number,
    shards: number,
    countToken?: string,
  ): Promise<RoomTransition | undefined> {
    const partitionCount = await counters.adjustCount(roomName, partition, -1, { token: countToken })
    // An unknown count (a resent count found its own) is read like a low one.
    if (partitionCount !== undefined && partitionCount > OWN_COUNT_SLACK) return undefined
    const { total } = await reads.readCounts(roomName, shards)
    if (total > ROOM_COUNT_SLACK_PER_PARTITION * (shards + 1)) return undefined
    return upkeep.settleLarge(roomName, shards)
  }

  /** A joiner of a large room read its guard after its write: unlisted, it settles the room (reactivated). */
  async function settleLargeIfUnlisted(
    roomName: string,
    shards: number,
    state: RoomState | undefined,
  ): Promise<RoomTransition | undefined> {
    return state?.listed ? undefined : upkeep.settleLarge(roomName, shards)
  }

  return { settleSmall, grow, moveToShard, countDeparture, settleLargeIfUnlisted }
}

export type RoomLifecycle = ReturnType<typeof createRoomLifecycle>
