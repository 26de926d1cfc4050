import { randomBytes } from 'node:crypto'
import { GetCommand } from '@aws-sdk/lib-dynamodb'
import { DeleteItemCommand } from 'dynamodb-toolbox/entity/actions/delete'
import { QueryCommand } from 'dynamodb-toolbox/table/actions/query'
import { ChatDbError } from '../errors.js'
import { BASE_SUBSCRIPTION_SHARD, subscriptionKey } from '../keys.js'
import { DATA_INDEX } from '../table.js'
import { assertConnectionId, assertRoomName, assertUserName } from '../validation.js'
import { createLargeMembership, LARGE_ROOM_SAMPLE } from './largeMembership.js'
import { queryPages } from './pager.js'
import type { RepositoryContext } from './repositoryContext.js'
import { layoutOf } from './roomLayout.js'
import { ENTITY_ATTRIBUTE } from './savedItems.js'
import type { SavedItem } from './subscriptionWrites.js'
import type { SubscribeResult, UnsubscribeResult } from './types.js'
import { userNamesOf } from './userNames.js'

/**
 * Tells one call's write from another's on the same key: 72 random bits, 12 characters, since
 * every subscription carries one and every room Query reads them all.
 */
const newAttempt = () => randomBytes(9).toString('base64url')

/**
 * What an unsubscribe answers (`unsubscribed`, `userName`), from the item its departure write
 * found at the key it left (`itemBefore`).
 */
function unsubscribedAnswer(itemBefore: SavedItem | undefined, wasSubscribed: boolean, attempt: string) {
  // Left by this call (its answer lost, the SDK's retry finding its own departure), or by a
  // failed request whose work is owed; otherwise an earlier leave that finished: a repeat.
  const unsubscribed =
    wasSubscribed ||
    (itemBefore !== undefined && (itemBefore.attempt === attempt || itemBefore.unfinished === true))
  return { unsubscribed, userName: unsubscribed ? (itemBefore?.userName as string) : undefined }
}

/**
 * The repository's membership changes: subscribe and unsubscribe. Each reads the room's layout
 * once (remembered, or told by the room's read after its write) and drives the room's state
 * machine (`roomLifecycle.ts`): a small room is settled from the Query read after the write, a
 * large one joined and left by key (`largeMembership.ts`), and the subscribe that reaches the
 * threshold makes the room large.
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
    largeRooms,
    layouts,
    writes,
    lifecycle,
    largeRoomThreshold,
  } = context
  const { Subscription } = entities
  const large = createLargeMembership(context)

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
   * Refuses a connection already in `maxRoomsPerConnection` rooms, unless it is subscribed to
   * this one (a repeat). The GSI is eventually consistent: a burst of subscribes may pass the
   * cap by what the index has not seen yet, never by more.
   */
  async function checkRoomCap(roomName: string, connectionId: string, largeShards: number | undefined) {
    if (!Number.isFinite(maxRoomsPerConnection)) return
    if ((await countRoomsOfConnection(connectionId)) < maxRoomsPerConnection) return
    // A departure (the connection left this room) does not hold a place; in a large room the
    // subscription may be in the connection's shard.
    const member =
      largeShards === undefined
        ? (
            await documentClient.send(
              new GetCommand({
                TableName: tableName,
                Key: subscriptionKey(roomName, connectionId),
                ConsistentRead: true,
              }),
            )
          ).Item?.[ENTITY_ATTRIBUTE] === Subscription.entityName
        : (await large.memberName(roomName, connectionId, largeShards)) !== undefined
    if (!member) {
      throw new ChatDbError(
        'limit.roomsPerConnection',
        `a connection may be subscribed to at most ${maxRoomsPerConnection} rooms`,
      )
    }
  }

  /**
   * A subscribe that does not know the room large: it writes into the base partition, and the
   * room's read after the write tells the layout. Large (another process made it so): the write
   * moves to its shard. Small: the room is settled, and the subscribe that brings it to the
   * threshold makes it large (answered as a large room's subscribe: the service then tells the
   * members from before, through a roomStats, that the room is large).
   */
  async function subscribeUnknownLayout(input: {
    roomName: string
    connectionId: string
    userName: string
    attempt: string
  }): Promise<SubscribeResult> {
    const { roomName, connectionId, userName, attempt } = input
    // Also over a departure: the connection left the room and comes back.
    const subscribedAt = now()
    let subscribed = await writes.putSubscription(subscriptionKey(roomName, connectionId), {
      ...input,
      subscribedAt,
    })
    const snapshot = await readSnapshot(roomName)
    const own = snapshot.subscribers.find((s) => s.connectionId === connectionId)
    // The put landed, its answer was lost, and the SDK's retry failed on our own item: still ours.
    if (!subscribed && own?.attempt === attempt) subscribed = true
    const layout = layouts.remember(roomName, layoutOf(snapshot.state))
    if (layout.kind === 'large') {
      if (subscribed) await lifecycle.moveToShard(snapshot, { connectionId, attempt, subscribedAt })
      return large.subscribe(input, layout.shards)
    }
    const unfinished = !subscribed && own?.unfinished === true
    if (subscribed && snapshot.subscribers.length > maxSubscribersPerRoom) {
      // Full: take back this subscription (the room keeps its others, so its listing stands).
      await Subscription.build(DeleteItemCommand).key({ roomName, connectionId }).send()
      throw new ChatDbError(
        'limit.roomFull',
        `room "${roomName}" has its maximum of ${maxSubscribersPerRoom} subscribers`,
      )
    }
    const transition = await lifecycle.settleSmall(snapshot, { owedByFailedRequest: unfinished })
    const answer = { subscribed, userName: own?.userName ?? userName, transition }
    if (subscribed && snapshot.subscribers.length >= largeRoomThreshold) {
      // Its members (this one included) stay in the base partition.
      const grown = await lifecycle.grow(snapshot)
      if (grown.kind === 'large') {
        const sample = userNamesOf(snapshot.subscribers).slice(0, LARGE_ROOM_SAMPLE)
        const subscriberCount = snapshot.subscribers.length
        return { layout: 'large', ...answer, shards: grown.shards, subscriberCount, sample }
      }
    }
    return { layout: 'small', ...answer, unfinished, subscribers: snapshot.subscribers }
  }

  return {
    claimRoomStats: largeRooms.claimRoomStats,
    claimTrailingStats: largeRooms.claimTrailingStats,

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
      const remembered = layouts.remembered(roomName)
      const largeShards = remembered?.kind === 'large' ? remembered.shards : undefined
      await checkRoomCap(roomName, connectionId, largeShards)
      const attempt = input.attempt ?? newAttempt()
      const own = { roomName, connectionId, userName, attempt }
      return largeShards === undefined ? subscribeUnknownLayout(own) : large.subscribe(own, largeShards)
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
      const left = { roomName, connectionId, attempt }
      const answerOf = (itemBefore: SavedItem | undefined) =>
        unsubscribedAnswer(itemBefore, writes.isSubscription(itemBefore), attempt)
      const remembered = layouts.remembered(roomName)
      if (remembered?.kind === 'large') {
        const { itemBefore, transition } = await large.unsubscribe(left, remembered.shards)
        return { layout: 'large', shards: remembered.shards, ...answerOf(itemBefore), transition }
      }
      const baseItemBefore = await writes.leaveAt(subscriptionKey(roomName, connectionId), attempt)
      const unfinished = baseItemBefore?.unfinished === true
      const snapshot = await readSnapshot(roomName)
      const layout = layouts.remember(roomName, layoutOf(snapshot.state))
      if (layout.kind === 'large') {
        // Large, and new to this process: a member from before leaves the base partition, the
        // others their shard.
        const { shards } = layout
        if (writes.isSubscription(baseItemBefore)) {
          const transition = await lifecycle.countDeparture(roomName, BASE_SUBSCRIPTION_SHARD, shards)
          return { layout: 'large', shards, ...answerOf(baseItemBefore), transition }
        }
        // Not subscribed in the base partition (at most a departure from there): its
        // subscription, if any, is in its shard.
        const shardLeave = await large.unsubscribe(left, shards, { baseTried: true })
        const itemBefore = shardLeave.itemBefore ?? baseItemBefore
        return { layout: 'large', shards, ...answerOf(itemBefore), transition: shardLeave.transition }
      }
      const transition = await lifecycle.settleSmall(snapshot, { owedByFailedRequest: unfinished })
      return { layout: 'small', ...answerOf(baseItemBefore), subscribers: snapshot.subscribers, transition }
    },
  }
}
