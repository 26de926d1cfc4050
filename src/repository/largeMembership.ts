import { QueryCommand } from '@aws-sdk/lib-dynamodb'
import {
  BASE_SUBSCRIPTION_SHARD,
  shardSubscriptionKey,
  subscriptionKey,
  subscriptionShardOf,
  subscriptionShardPartition,
} from '../keys.js'
import type { RepositoryContext } from './repositoryContext.js'
import { ENTITY_ATTRIBUTE } from './savedItems.js'
import type { SavedItem } from './subscriptionWrites.js'
import type { RoomTransition, SubscribeResult } from './types.js'

/** User names a large room's `subscribed` shows at most: a sample, not the room. */
export const LARGE_ROOM_SAMPLE = 100

/** What a leave of a large room found at the key it left, and the transition its count led to. */
export interface LargeRoomLeave {
  /** The item at the key left (a subscription, a departure), or undefined when there was none. */
  itemBefore: SavedItem | undefined
  transition: RoomTransition | undefined
}

/**
 * Membership of large rooms (docs/data-model.md, "Large rooms"): a connection's subscription
 * lives in shard `fnv1a(connection id) mod S` (or, for members from before the room became
 * large, in the base partition), so joining, leaving and checking membership touch known keys,
 * never the whole room. Each partition keeps a subscriber counter; the room's listing is
 * settled from exact reads only when a joiner finds it unlisted or the counters say it is
 * (nearly) empty (`roomLifecycle.ts`).
 *
 * @example
 * const large = createLargeMembership(context)
 * await large.subscribe({ roomName: 'lobby', connectionId: 'abc=', userName: 'ada', attempt: 'x' }, 64)
 */
export function createLargeMembership(context: RepositoryContext) {
  const { documentClient, tableName, entities, now, largeRooms, writes, lifecycle } = context
  const { Subscription } = entities

  /** Distinct names of the first subscriptions of the base partition and of one shard (eventually consistent). */
  async function sampleNames(roomName: string, shard: number): Promise<string[]> {
    const reads = await Promise.all(
      [BASE_SUBSCRIPTION_SHARD, shard].map((partition) =>
        documentClient.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': 'pk', '#et': ENTITY_ATTRIBUTE, '#userName': 'userName' },
            ExpressionAttributeValues: { ':pk': subscriptionShardPartition(roomName, partition) },
            ProjectionExpression: '#et, #userName',
            // The guard, counter and outbox come first in the base partition: a little more than the sample.
            Limit: LARGE_ROOM_SAMPLE + 3,
          }),
        ),
      ),
    )
    const names = new Set<string>()
    for (const { Items = [] } of reads) {
      for (const item of Items)
        if (item[ENTITY_ATTRIBUTE] === Subscription.entityName) names.add(item.userName as string)
    }
    return [...names].sort().slice(0, LARGE_ROOM_SAMPLE)
  }

  /**
   * Takes back a join's shard write when the connection is a member from before (its
   * subscription is in the base partition, where it stays). A repair that read the shard
   * meanwhile counted that write:
   *
   *     join J                                   repair R
   *     reads repairs r; writes its shard item
   *                                              reads the shard: counter (token t), J's item
   *     deletes its item
   *                                              sets the counter to what it read: one high
   *
   * So J moves the counter's token on after its delete (R's write then fails, if it is still to
   * come), and learns from the repairs it returns whether a repair landed since it read r: then
   * it counts itself out (low, at worst, if that repair did not count it).
   */
  async function withdraw(
    roomName: string,
    shard: number,
    shardKey: { pk: string; sk: string },
    attempt: string,
    repairsSeen: number,
  ): Promise<void> {
    if (!(await writes.deleteOwnWrite(shardKey, attempt))) return
    if ((await largeRooms.touchCount(roomName, shard)) !== repairsSeen) {
      await largeRooms.adjustCount(roomName, shard, -1)
    }
  }

  return {
    /**
     * Subscribes a connection to a large room: a conditional PutItem on its shard, the guard and
     * every counter read in one consistent BatchGetItem (with the connection's own keys: a
     * member from before the room was large stays where it is), the count moved on, and a
     * sample of names. A room the read finds unlisted is settled exactly.
     * Requests: GetItem (the shard counter's repairs) + PutItem + BatchGetItem (per 100 keys) +
     * UpdateItem + 2 Query (sample).
     */
    async subscribe(
      input: { roomName: string; connectionId: string; userName: string; attempt: string },
      shards: number,
    ): Promise<SubscribeResult> {
      const { roomName, connectionId, userName, attempt } = input
      const shard = subscriptionShardOf(connectionId, shards)
      const shardKey = shardSubscriptionKey(roomName, connectionId, shard)
      const baseKey = subscriptionKey(roomName, connectionId)
      // Read before the write: a repair of the shard's counter after it may have counted this
      // subscription, and then this join's count must not land (`adjustCount`'s `repairsSeen`).
      const repairsSeen = await largeRooms.repairsOf(roomName, shard)
      const wrote = await writes.putSubscription(shardKey, {
        roomName,
        connectionId,
        userName,
        subscribedAt: now(),
        attempt,
      })
      const [read, sample] = await Promise.all([
        largeRooms.readCounts(roomName, shards, [baseKey, shardKey]),
        sampleNames(roomName, shard),
      ])
      const baseItem = read.extra.get(baseKey.pk)
      const shardItem = read.extra.get(shardKey.pk)
      const fromBefore = writes.isSubscription(baseItem)
      // Written by this call, also when its answer was lost and the SDK's retry found it there.
      let subscribed = wrote || (writes.isSubscription(shardItem) && shardItem?.attempt === attempt)
      // The connection's subscription: in the base partition for a member from before, else in its shard.
      const ownSubscription = fromBefore ? baseItem : shardItem
      if (fromBefore && subscribed) {
        await withdraw(roomName, shard, shardKey, attempt, repairsSeen)
        subscribed = false
      } else if (subscribed) {
        await largeRooms.adjustCount(roomName, shard, 1, { repairsSeen })
      }
      const transition = await lifecycle.settleLargeIfUnlisted(roomName, shards, read.state)
      const ownName = (ownSubscription?.userName as string | undefined) ?? userName
      const names = sample.includes(ownName)
        ? sample
        : [...sample, ownName].sort().slice(0, LARGE_ROOM_SAMPLE)
      return {
        layout: 'large',
        subscribed,
        userName: ownName,
        transition,
        shards,
        subscriberCount: read.total + (subscribed ? 1 : 0),
        sample: names,
      }
    },

    /**
     * Leaves a large room: the subscription at the connection's shard (or, failing that, in the
     * base partition) becomes a departure, as in a small room; its partition's count goes down,
     * and when the counters say the room may be empty it is settled exactly.
     * Requests: UpdateItem (2 for a member of the base partition) + UpdateItem (count)
     * (+ a BatchGetItem and an exact read when nearly empty).
     */
    async unsubscribe(
      input: { roomName: string; connectionId: string; attempt: string },
      shards: number,
      /** The base partition's key was already tried (by a process that met the room as small). */
      { baseTried = false }: { baseTried?: boolean } = {},
    ): Promise<LargeRoomLeave> {
      const { roomName, connectionId, attempt } = input
      const shard = subscriptionShardOf(connectionId, shards)
      let partition = shard
      let itemBefore = await writes.leaveAt(shardSubscriptionKey(roomName, connectionId, shard), attempt)
      if (itemBefore === undefined && !baseTried) {
        partition = BASE_SUBSCRIPTION_SHARD
        itemBefore = await writes.leaveAt(subscriptionKey(roomName, connectionId), attempt)
      }
      if (!writes.isSubscription(itemBefore)) return { itemBefore, transition: undefined }
      return { itemBefore, transition: await lifecycle.countDeparture(roomName, partition, shards) }
    },

    /**
     * The user name of a connection subscribed to a large room, or undefined: one consistent
     * BatchGetItem of its shard's key and its base-partition key.
     */
    async memberName(roomName: string, connectionId: string, shards: number): Promise<string | undefined> {
      const shardKey = shardSubscriptionKey(roomName, connectionId, subscriptionShardOf(connectionId, shards))
      const items = await largeRooms.readKeys([shardKey, subscriptionKey(roomName, connectionId)])
      const member = items.find((item) => writes.isSubscription(item))
      return member?.userName as string | undefined
    },
  }
}

export type LargeMembership = ReturnType<typeof createLargeMembership>
