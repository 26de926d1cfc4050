import { randomBytes } from 'node:crypto'
import { GetCommand } from '@aws-sdk/lib-dynamodb'
import { DeleteItemCommand } from 'dynamodb-toolbox/entity/actions/delete'
import { QueryCommand } from 'dynamodb-toolbox/table/actions/query'
import { ChatDbError } from '../errors.js'
import { BASE_SUBSCRIPTION_SHARD, subscriptionKey } from '../keys.js'
import { DATA_INDEX } from '../table.js'
import { assertConnectionId, assertRoomName, assertUserName } from '../validation.js'
import { createLargeMembership, LARGE_ROOM_SAMPLE } from './largeMembership.js'
import { MARKING_WINDOW_MS } from './largeRooms.js'
import { queryPages } from './pager.js'
import type { RepositoryContext } from './repositoryContext.js'
import { ENTITY_ATTRIBUTE } from './savedItems.js'
import type { RoomSnapshot, SubscribeResult, UnsubscribeResult } from './types.js'
import { userNamesOf } from './userNames.js'

/**
 * Tells one call's write from another's on the same key: 72 random bits, 12 characters, since
 * every subscription carries one and every room Query reads them all.
 */
const newAttempt = () => randomBytes(9).toString('base64url')

/**
 * The repository's membership changes: subscribe and unsubscribe, each settling the room's
 * listing (`roomUpkeep.ts`) from the Query it reads after its write.
 *
 * @example
 * const membership = createMembership(createRepositoryContext({ documentClient }))
 * await membership.subscribe({ roomName: 'general', connectionId: 'abc=', userName: 'ada' })
 */
export function createMembership(context: RepositoryContext) {
  const {
    documentClient,
    tableName,
    table,
    entities,
    now,
    maxRoomsPerConnection,
    maxSubscribersPerRoom,
    readSnapshot,
    upkeep,
    largeRooms,
    largeRoomThreshold,
    largeRoomShards,
  } = context
  const { Subscription } = entities
  const large = createLargeMembership(context)

  /** A subscribe to a large room, answered as a {@link SubscribeResult}. */
  async function subscribeLarge(
    input: { roomName: string; connectionId: string; userName: string; attempt: string },
    shards: number,
  ): Promise<SubscribeResult> {
    const result = await large.subscribe(input, shards)
    return { ...result, unfinished: false, subscribers: [] }
  }

  /** What an unsubscribe answers (`unsubscribed`, `userName`), from what its departure write found. */
  function leftResult(old: Record<string, unknown> | undefined, attempt: string) {
    const wasSubscribed = old?.[ENTITY_ATTRIBUTE] === Subscription.entityName
    // Left by this call (its answer lost, the SDK's retry finding its own departure), or by a
    // failed request whose work is owed; otherwise an earlier leave that finished: a repeat.
    const unsubscribed =
      wasSubscribed || (old !== undefined && (old.attempt === attempt || old.unfinished === true))
    return { unsubscribed, userName: unsubscribed ? (old?.userName as string) : undefined }
  }

  /** How many rooms a connection is in, counted through the GSI (one COUNT Query per 1 MB). */
  async function countRoomsOfConnection(connectionId: string): Promise<number> {
    const params = table
      .build(QueryCommand)
      .entities(Subscription)
      .query({ index: DATA_INDEX, partition: connectionId })
      .options({ select: 'COUNT' })
      .params()
    let count = 0
    for await (const page of queryPages(documentClient, params)) count += page.count
    return count
  }

  /**
   * Settles the room; when a failed request left this subscription unfinished, also re-applies
   * the guard's state to the room records, because that request may have claimed a transition
   * and died before writing its records (the guard then agrees with the room and `settle` alone
   * would see nothing to do). Off the steady-state path: only after a failure.
   */
  async function settleOwing(snapshot: RoomSnapshot, unfinished: boolean) {
    const transition = await upkeep.settle(snapshot)
    if (!transition && unfinished && snapshot.state) await upkeep.apply(snapshot.state)
    return transition
  }

  return {
    claimRoomStats: large.claimRoomStats,
    claimTrailingStats: large.claimTrailingStats,

    /**
     * Subscribes a connection to a room under a user name, creating or reactivating the room.
     * Idempotent: a second call changes nothing and reports `subscribed: false`.
     * Refuses a connection already in `maxRoomsPerConnection` rooms (`limit.roomsPerConnection`,
     * nothing written) and a room of `maxSubscribersPerRoom` (`limit.roomFull`, write undone).
     * Requests: GSI COUNT Query + PutItem + Query (+ up to 4 when the room is created or reactivated).
     */
    async subscribe(input: {
      roomName: string
      connectionId: string
      userName: string
      /** Identifies this call in the item it writes (default: a random id). */
      attempt?: string
    }): Promise<SubscribeResult> {
      const roomName = assertRoomName(input.roomName)
      const connectionId = assertConnectionId(input.connectionId)
      const userName = assertUserName(input.userName)
      const key = { roomName, connectionId }
      const knownShards = largeRooms.known(roomName)
      // The cap on rooms per connection reads the GSI, which is eventually consistent: a burst of
      // subscribes may pass it by what the index has not seen yet, never by more.
      if (
        Number.isFinite(maxRoomsPerConnection) &&
        (await countRoomsOfConnection(connectionId)) >= maxRoomsPerConnection
      ) {
        // A departure (the connection left this room) does not hold a place; in a large room
        // the subscription may be in the connection's shard.
        const member =
          knownShards === undefined
            ? (
                await documentClient.send(
                  new GetCommand({
                    TableName: tableName,
                    Key: subscriptionKey(roomName, connectionId),
                    ConsistentRead: true,
                  }),
                )
              ).Item?.[ENTITY_ATTRIBUTE] === Subscription.entityName
            : (await large.memberName(roomName, connectionId, knownShards)) !== undefined
        if (!member) {
          throw new ChatDbError(
            'limit.roomsPerConnection',
            `a connection may be subscribed to at most ${maxRoomsPerConnection} rooms`,
          )
        }
      }
      const attempt = input.attempt ?? newAttempt()
      if (knownShards !== undefined) return subscribeLarge({ ...key, userName, attempt }, knownShards)
      // Also over a departure: the connection left the room and comes back.
      const subscribedAt = now()
      let subscribed = await large.putSubscription(subscriptionKey(roomName, connectionId), {
        ...key,
        userName,
        subscribedAt,
        attempt,
      })
      const snapshot = await readSnapshot(roomName)
      const own = snapshot.subscribers.find((s) => s.connectionId === connectionId)
      // The put landed, its answer was lost, and the SDK's retry failed on our own item: still ours.
      if (!subscribed && own?.attempt === attempt) subscribed = true
      const { shards } = snapshot.state ?? {}
      if (shards !== undefined) {
        // The room is large (this process had not seen it yet): its new members live in shards,
        // so a subscription this call wrote into the base partition moves to its shard.
        largeRooms.remember(roomName, shards)
        if (subscribed) {
          const moved = await large.deleteOwnWrite(subscriptionKey(roomName, connectionId), attempt)
          // Written while the room was being marked, the marking (or a repair since) may have
          // counted it in the base partition: counted out there. Erring low is safe (a low count
          // costs an exact read; a high one could hide an empty room); later, nobody counted it:
          // repairs leave it out by the same rule (largeRooms.ts, countableInBase).
          const { markedAt } = snapshot
          if (moved && (markedAt === undefined || subscribedAt <= markedAt + MARKING_WINDOW_MS)) {
            await largeRooms.adjustCount(roomName, BASE_SUBSCRIPTION_SHARD, -1)
          }
        }
        return subscribeLarge({ ...key, userName, attempt }, shards)
      }
      const unfinished = !subscribed && own?.unfinished === true
      if (subscribed && snapshot.subscribers.length > maxSubscribersPerRoom) {
        // Full: take back this subscription (the room keeps its others, so its listing stands).
        await Subscription.build(DeleteItemCommand).key(key).send()
        throw new ChatDbError(
          'limit.roomFull',
          `room "${roomName}" has its maximum of ${maxSubscribersPerRoom} subscribers`,
        )
      }
      const transition = await settleOwing(snapshot, unfinished)
      const result = { subscribed, unfinished, userName: own?.userName ?? userName, transition }
      if (subscribed && snapshot.subscribers.length >= largeRoomThreshold) {
        // This subscribe brought the room to the threshold: from now on it is large. Its members
        // (this one included) stay in the base partition; concurrent crossings agree on one shard
        // count. It is answered as a large room's subscribe: the service then tells the members
        // from before, through a roomStats, that the room is large.
        const shards = await largeRooms.markLarge(roomName, largeRoomShards, snapshot.subscribers.length)
        if (shards !== undefined) {
          const sample = userNamesOf(snapshot.subscribers).slice(0, LARGE_ROOM_SAMPLE)
          const large = { shards, subscriberCount: snapshot.subscribers.length, sample }
          return { ...result, subscribers: [], large }
        }
      }
      return { ...result, subscribers: snapshot.subscribers }
    },

    /**
     * Unsubscribes a connection from a room, unlisting the room when it empties. The
     * subscription is not deleted but turned into a departure (same key, `_et: "Departure"`,
     * user name kept), so a retry still knows who left; `removeConnection` deletes departures
     * with the connection's subscriptions, and a subscribe overwrites one.
     * Requests: UpdateItem + Query (+ up to 4 when the room empties).
     */
    async unsubscribe(input: {
      roomName: string
      connectionId: string
      /** Identifies this call in the departure it writes (default: a random id). */
      attempt?: string
    }): Promise<UnsubscribeResult> {
      const roomName = assertRoomName(input.roomName)
      const connectionId = assertConnectionId(input.connectionId)
      const attempt = input.attempt ?? newAttempt()
      const knownShards = largeRooms.known(roomName)
      if (knownShards !== undefined) {
        const { old, transition } = await large.unsubscribe({ roomName, connectionId, attempt }, knownShards)
        return { ...leftResult(old, attempt), subscribers: [], transition, large: { shards: knownShards } }
      }
      const old = await large.leaveAt(subscriptionKey(roomName, connectionId), attempt)
      const unfinished = old?.unfinished === true
      const snapshot = await readSnapshot(roomName)
      const { shards } = snapshot.state ?? {}
      if (shards !== undefined) {
        // Large, and new to this process: a member from before stays in the base partition, the
        // others are in their shard.
        largeRooms.remember(roomName, shards)
        if (old?.[ENTITY_ATTRIBUTE] === Subscription.entityName) {
          const transition = await large.departed(roomName, BASE_SUBSCRIPTION_SHARD, shards)
          return { ...leftResult(old, attempt), subscribers: [], transition, large: { shards } }
        }
        // Not subscribed in the base partition (at most a departure from there): its
        // subscription, if any, is in its shard.
        const left = await large.unsubscribe({ roomName, connectionId, attempt }, shards, { baseTried: true })
        return {
          ...leftResult(left.old ?? old, attempt),
          subscribers: [],
          transition: left.transition,
          large: { shards },
        }
      }
      const transition = await settleOwing(snapshot, unfinished)
      return { ...leftResult(old, attempt), subscribers: snapshot.subscribers, transition }
    },
  }
}
