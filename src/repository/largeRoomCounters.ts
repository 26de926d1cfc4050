import { randomBytes } from 'node:crypto'
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { SUBSCRIBER_COUNT_ENTITY } from '../entities/index.js'
import { BASE_SUBSCRIPTION_SHARD, subscriberCountKey } from '../keys.js'
import { conditionHeld, ifConditionHeld } from './conditionalCheck.js'
import type { LargeRoomSnapshot } from './largeRoomReads.js'
import { ENTITY_ATTRIBUTE } from './savedItems.js'

/** A fresh token for a count or repair (what a condition tells them apart by). */
const newToken = () => randomBytes(6).toString('base64url')

/**
 * The writes of a large room's per-partition subscriber counters (`SubscriberCount` items,
 * docs/data-model.md, "The count"): a join's or leave's count, a repair from an exact read, and
 * the base counter's `roomStats` claims.
 *
 * @example
 * const counters = createLargeRoomCounters({ documentClient, tableName, now: Date.now })
 * await counters.adjustCount('lobby', 3, 1)
 */
export function createLargeRoomCounters({
  documentClient,
  tableName,
  now,
}: {
  documentClient: DynamoDBDocumentClient
  tableName: string
  now: () => number
}) {
  return {
    /**
     * Adds `delta` to a partition's counter and answers its new value. Not atomic with the
     * subscription write it follows (no transactions): a request that dies in between leaves the
     * count off by one, which exact reads repair. Each call carries a token (random, or `token`,
     * naming what is counted): the SDK's resend of a count that landed but whose answer was lost,
     * or a second count under the same name, fails its condition instead of counting twice
     * (answered as undefined: the count is unknown). Requests: 1 UpdateItem.
     */
    async adjustCount(
      roomName: string,
      shard: number,
      delta: number,
      {
        token = newToken(),
        repairsSeen,
      }: { token?: string | undefined; repairsSeen?: number | undefined } = {},
    ): Promise<number | undefined> {
      // A join's count, when the counter was repaired since the join read it (before its write):
      // that repair may have counted the subscription already.
      const unrepaired =
        repairsSeen === undefined
          ? ''
          : repairsSeen === 0
            ? ' AND (attribute_not_exists(#repairs) OR #repairs = :repairs)'
            : ' AND #repairs = :repairs'
      const counted = await ifConditionHeld(
        documentClient.send(
          new UpdateCommand({
            TableName: tableName,
            Key: subscriberCountKey(roomName, shard),
            UpdateExpression: 'SET #et = :et, #last = :token ADD #n :delta',
            ConditionExpression: `(attribute_not_exists(#last) OR #last <> :token)${unrepaired}`,
            ExpressionAttributeNames: {
              '#et': ENTITY_ATTRIBUTE,
              '#n': 'n',
              '#last': 'lastCount',
              ...(repairsSeen === undefined ? {} : { '#repairs': 'repairs' }),
            },
            ExpressionAttributeValues: {
              ':et': SUBSCRIBER_COUNT_ENTITY,
              ':delta': delta,
              ':token': token,
              ...(repairsSeen === undefined ? {} : { ':repairs': repairsSeen }),
            },
            ReturnValues: 'UPDATED_NEW',
          }),
        ),
      )
      return counted.held ? (counted.output.Attributes?.n as number) : undefined
    },

    /**
     * Sets each counter an exact read found wrong to what the read found, on condition that no
     * count or repair landed since the counter was read (its token, read before the partition's
     * subscriptions; every count and repair writes a new one). Each repair also moves the
     * counter's `repairs` on, so a join whose subscription this read may have counted and whose
     * count is still on its way finds it moved and does not count again (`adjustCount`'s
     * `repairsSeen`): repairs and counts compose, and a counter at rest is never above its
     * partition (docs/data-model.md, "The count"). Requests: one UpdateItem per wrong counter.
     */
    async repairCounts(snapshot: Pick<LargeRoomSnapshot, 'roomName' | 'partitions'>): Promise<number> {
      let repaired = 0
      for (const { shard, countable, counted, countToken } of snapshot.partitions) {
        if ((counted ?? 0) === countable) continue
        const landed = await conditionHeld(
          documentClient.send(
            new UpdateCommand({
              TableName: tableName,
              Key: subscriberCountKey(snapshot.roomName, shard),
              UpdateExpression: 'SET #et = :et, #n = :exact, #last = :fresh ADD #repairs :one',
              ConditionExpression: [
                counted === undefined ? 'attribute_not_exists(#n)' : '#n = :seen',
                countToken === undefined ? 'attribute_not_exists(#last)' : '#last = :token',
              ].join(' AND '),
              ExpressionAttributeNames: {
                '#et': ENTITY_ATTRIBUTE,
                '#n': 'n',
                '#last': 'lastCount',
                '#repairs': 'repairs',
              },
              ExpressionAttributeValues: {
                ':et': SUBSCRIBER_COUNT_ENTITY,
                ':exact': countable,
                ':fresh': newToken(),
                ':one': 1,
                ...(counted === undefined ? {} : { ':seen': counted }),
                ...(countToken === undefined ? {} : { ':token': countToken }),
              },
            }),
          ),
        )
        if (landed) repaired++
      }
      return repaired
    },

    /**
     * Moves a partition's counter's token on without counting, so that a repair that read the
     * counter before fails its condition, and answers how many repairs the counter has had (0:
     * never). Requests: 1 UpdateItem.
     */
    async touchCount(roomName: string, shard: number): Promise<number> {
      const { Attributes } = await documentClient.send(
        new UpdateCommand({
          TableName: tableName,
          Key: subscriberCountKey(roomName, shard),
          UpdateExpression: 'SET #et = :et, #last = :token',
          ExpressionAttributeNames: { '#et': ENTITY_ATTRIBUTE, '#last': 'lastCount' },
          ExpressionAttributeValues: { ':et': SUBSCRIBER_COUNT_ENTITY, ':token': newToken() },
          ReturnValues: 'ALL_NEW',
        }),
      )
      return (Attributes?.repairs as number | undefined) ?? 0
    },

    /**
     * How many times a partition's counter has been repaired (0: never, or no counter yet), read
     * by a join before its subscription write and handed to its count (`repairsSeen`). Eventually
     * consistent: a stale answer is an older one, which only makes the count fail (low).
     * Requests: 1 GetItem.
     */
    async repairsOf(roomName: string, shard: number): Promise<number> {
      const { Item } = await documentClient.send(
        new GetCommand({
          TableName: tableName,
          Key: subscriberCountKey(roomName, shard),
          ProjectionExpression: '#repairs',
          ExpressionAttributeNames: { '#repairs': 'repairs' },
        }),
      )
      return (Item?.repairs as number | undefined) ?? 0
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

export type LargeRoomCounters = ReturnType<typeof createLargeRoomCounters>
