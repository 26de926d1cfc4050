import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { PutItemCommand } from 'dynamodb-toolbox/entity/actions/put'
import { DEPARTURE_ENTITY } from '../entities/index.js'
import {
  BASE_SUBSCRIPTION_SHARD,
  shardSubscriptionKey,
  subscriberCountKey,
  subscriptionKey,
  subscriptionShardOf,
  subscriptionShardPartition,
} from '../keys.js'
import { conditionHeld, ifConditionHeld } from './conditionalCheck.js'
import { OWN_COUNT_SLACK, ROOM_COUNT_SLACK_PER_PARTITION } from './largeRooms.js'
import type { RepositoryContext } from './repositoryContext.js'
import { ENTITY_ATTRIBUTE } from './savedItems.js'
import type { LargeRoomView, RoomTransition } from './types.js'

/** User names a large room's `subscribed` shows at most: a sample, not the room. */
export const LARGE_ROOM_SAMPLE = 100

type Key = { pk: string; sk: string }
type Item = Record<string, unknown>

/**
 * Membership of large rooms (docs/data-model.md, "Large rooms"): a connection's subscription
 * lives in shard `fnv1a(connection id) mod S` (or, for members from before the room became
 * large, in the base partition), so joining, leaving and checking membership touch known keys,
 * never the whole room. Each partition keeps a subscriber counter; the room's listing is
 * settled from exact reads only when a joiner finds it unlisted or the counters say it is
 * (nearly) empty.
 *
 * @example
 * const large = createLargeMembership(context)
 * await large.subscribe({ roomName: 'lobby', connectionId: 'abc=', userName: 'ada', attempt: 'x' }, 64)
 */
export function createLargeMembership(context: RepositoryContext) {
  const { documentClient, tableName, entities, now, largeRooms, upkeep } = context
  const { Subscription } = entities

  /**
   * Writes a subscription at `key` (a small room's, or a shard's), over nothing or a departure
   * (the connection left and comes back); false when a subscription is there.
   */
  async function putSubscription(
    key: Key,
    item: { roomName: string; connectionId: string; userName: string; subscribedAt: number; attempt: string },
  ): Promise<boolean> {
    // The item the Subscription entity formats, at the key given (its partition may be a shard's).
    const { Item: formatted } = Subscription.build(PutItemCommand).item(item).params()
    return conditionHeld(
      documentClient.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...formatted, ...key },
          ConditionExpression: 'attribute_not_exists(#pk) OR #et = :departure',
          ExpressionAttributeNames: { '#pk': 'pk', '#et': ENTITY_ATTRIBUTE },
          ExpressionAttributeValues: { ':departure': DEPARTURE_ENTITY },
        }),
      ),
    )
  }

  /**
   * Turns the subscription at `key` into a departure (same key, `_et: "Departure"`, user name
   * kept) and answers what was there; undefined when nothing (or a key-only stranger) was.
   */
  async function leaveAt(key: Key, attempt: string): Promise<Item | undefined> {
    const left = await ifConditionHeld(
      documentClient.send(
        new UpdateCommand({
          TableName: tableName,
          Key: key,
          UpdateExpression:
            'SET #entity = :departure, #attempt = :attempt, #leftAt = :now REMOVE #unfinished',
          // Only a subscription or a departure: never a key-only item for a stranger.
          ConditionExpression: 'attribute_exists(#userName)',
          ExpressionAttributeNames: {
            '#entity': ENTITY_ATTRIBUTE,
            '#attempt': 'attempt',
            '#leftAt': 'leftAt',
            '#unfinished': 'unfinished',
            '#userName': 'userName',
          },
          ExpressionAttributeValues: { ':departure': DEPARTURE_ENTITY, ':attempt': attempt, ':now': now() },
          ReturnValues: 'ALL_OLD',
        }),
      ),
    )
    return left.held ? left.output.Attributes : undefined
  }

  /** Deletes the subscription this call wrote at `key` (its `attempt`); false when it is not there. */
  async function deleteOwnWrite(key: Key, attempt: string): Promise<boolean> {
    return conditionHeld(
      documentClient.send(
        new DeleteCommand({
          TableName: tableName,
          Key: key,
          ConditionExpression: '#attempt = :attempt',
          ExpressionAttributeNames: { '#attempt': 'attempt' },
          ExpressionAttributeValues: { ':attempt': attempt },
        }),
      ),
    )
  }

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
   * Counts a departure from a partition (its subscription already gone); settles the room if it
   * may be empty. `countToken` names the departure (default: one of its own), so a second count
   * of it fails its condition.
   */
  async function departed(roomName: string, partition: number, shards: number, countToken?: string) {
    const left = await largeRooms.adjustCount(roomName, partition, -1, { token: countToken })
    return settleIfEmpty(roomName, shards, left)
  }

  /**
   * Settles the room when its counters say it may be empty: the sum of every partition's
   * counter is read only when the leaver's own partition counts at most {@link OWN_COUNT_SLACK}
   * (near 0 when the room is empty), and the room is read exactly only when the sum is at most
   * {@link ROOM_COUNT_SLACK_PER_PARTITION} per partition.
   */
  async function settleIfEmpty(roomName: string, shards: number, ownCount: number | undefined) {
    // An unknown count (a resent count found its own) is read like a low one.
    if (ownCount !== undefined && ownCount > OWN_COUNT_SLACK) return undefined
    const { total } = await largeRooms.readCounts(roomName, shards)
    if (total > ROOM_COUNT_SLACK_PER_PARTITION * (shards + 1)) return undefined
    return upkeep.settleLarge(roomName, shards)
  }

  return {
    putSubscription,
    leaveAt,
    deleteOwnWrite,

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
    ): Promise<{
      subscribed: boolean
      userName: string
      transition: RoomTransition | undefined
      large: LargeRoomView
    }> {
      const { roomName, connectionId, userName, attempt } = input
      const shard = subscriptionShardOf(connectionId, shards)
      const shardKey = shardSubscriptionKey(roomName, connectionId, shard)
      const baseKey = subscriptionKey(roomName, connectionId)
      // Read before the write: a repair of the shard's counter after it may have counted this
      // subscription, and then this join's count must not land (`adjustCount`'s `repairsSeen`).
      const repairsSeen = await largeRooms.repairsOf(roomName, shard)
      const wrote = await putSubscription(shardKey, {
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
      const base = read.extra.get(baseKey.pk)
      const own = read.extra.get(shardKey.pk)
      const isSubscription = (item: Item | undefined) => item?.[ENTITY_ATTRIBUTE] === Subscription.entityName
      // Written by this call, also when its answer was lost and the SDK's retry found it there.
      let subscribed = wrote || (isSubscription(own) && own?.attempt === attempt)
      const held = isSubscription(base) ? base : own
      if (isSubscription(base) && subscribed) {
        // A member from before the room was large: it stays in the base partition, and the
        // shard write goes again. A repair that read the shard meanwhile counted that write:
        //
        //     join J                                   repair R
        //     reads repairs r; writes its shard item
        //                                              reads the shard: counter (token t), J's item
        //     deletes its item
        //                                              sets the counter to what it read: one high
        //
        // So J moves the counter's token on after its delete (R's write then fails, if it is
        // still to come), and learns from the repairs it returns whether a repair landed since it
        // read r: then it counts itself out (low, at worst, if that repair did not count it).
        if (await deleteOwnWrite(shardKey, attempt)) {
          if ((await largeRooms.touchCount(roomName, shard)) !== repairsSeen) {
            await largeRooms.adjustCount(roomName, shard, -1)
          }
        }
        subscribed = false
      } else if (subscribed) {
        await largeRooms.adjustCount(roomName, shard, 1, { repairsSeen })
      }
      const transition = read.state?.listed ? undefined : await upkeep.settleLarge(roomName, shards)
      const ownName = (held?.userName as string | undefined) ?? userName
      const names = sample.includes(ownName)
        ? sample
        : [...sample, ownName].sort().slice(0, LARGE_ROOM_SAMPLE)
      return {
        subscribed,
        userName: ownName,
        transition,
        large: { shards, subscriberCount: read.total + (subscribed ? 1 : 0), sample: names },
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
    ): Promise<{ old: Item | undefined; transition: RoomTransition | undefined }> {
      const { roomName, connectionId, attempt } = input
      const shard = subscriptionShardOf(connectionId, shards)
      let partition = shard
      let old = await leaveAt(shardSubscriptionKey(roomName, connectionId, shard), attempt)
      if (old === undefined && !baseTried) {
        partition = BASE_SUBSCRIPTION_SHARD
        old = await leaveAt(subscriptionKey(roomName, connectionId), attempt)
      }
      if (old?.[ENTITY_ATTRIBUTE] !== Subscription.entityName) return { old, transition: undefined }
      return { old, transition: await departed(roomName, partition, shards) }
    },

    /**
     * Counts a departure from a partition of a large room (its subscription already gone) and
     * settles the room if it may be empty. Requests: UpdateItem (+ BatchGetItem and an exact
     * read when nearly empty).
     */
    departed,

    /**
     * The user name of a connection subscribed to a large room, or undefined: one consistent
     * BatchGetItem of its shard's key and its base-partition key.
     */
    async memberName(roomName: string, connectionId: string, shards: number): Promise<string | undefined> {
      const shardKey = shardSubscriptionKey(roomName, connectionId, subscriptionShardOf(connectionId, shards))
      const items = await largeRooms.readKeys([shardKey, subscriptionKey(roomName, connectionId)])
      const member = items.find((item) => item[ENTITY_ATTRIBUTE] === Subscription.entityName)
      return member?.userName as string | undefined
    },

    /**
     * Claims the next `roomStats` of a large room, which will carry `count`: true for one caller
     * per `intervalMs` (a conditional update of `statsAt` on the base partition's counter, which
     * also keeps `statsCount`, the count sent). Requests: 1 UpdateItem.
     */
    async claimRoomStats(roomName: string, intervalMs: number, count: number): Promise<boolean> {
      const at = now()
      return conditionHeld(
        documentClient.send(
          new UpdateCommand({
            TableName: tableName,
            Key: subscriberCountKey(roomName, BASE_SUBSCRIPTION_SHARD),
            UpdateExpression: 'SET #statsAt = :now, #statsCount = :count',
            ConditionExpression:
              'attribute_exists(#n) AND (attribute_not_exists(#statsAt) OR #statsAt <= :due)',
            ExpressionAttributeNames: { '#statsAt': 'statsAt', '#statsCount': 'statsCount', '#n': 'n' },
            ExpressionAttributeValues: { ':now': at, ':due': at - intervalMs, ':count': count },
          }),
        ),
      )
    },

    /**
     * Claims the trailing `roomStats` due at `dueAt` (the end of a `roomStatsIntervalMs` interval):
     * true for the first caller of each `dueAt` (a conditional update of `trailingAt` on the base
     * partition's counter), so a room has at most one trailing job scheduled per interval.
     * Requests: 1 UpdateItem.
     */
    async claimTrailingStats(roomName: string, dueAt: number): Promise<boolean> {
      return conditionHeld(
        documentClient.send(
          new UpdateCommand({
            TableName: tableName,
            Key: subscriberCountKey(roomName, BASE_SUBSCRIPTION_SHARD),
            UpdateExpression: 'SET #trailingAt = :due',
            ConditionExpression:
              'attribute_exists(#n) AND (attribute_not_exists(#trailingAt) OR #trailingAt < :due)',
            ExpressionAttributeNames: { '#trailingAt': 'trailingAt', '#n': 'n' },
            ExpressionAttributeValues: { ':due': dueAt },
          }),
        ),
      )
    },
  }
}

export type LargeMembership = ReturnType<typeof createLargeMembership>
