import { randomBytes } from 'node:crypto'
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import { SUBSCRIBER_COUNT_ENTITY } from '../entities/index.js'
import {
  BASE_SUBSCRIPTION_SHARD,
  roomStateKey,
  SUBSCRIBER_COUNT_SORT_KEY,
  subscriberCountKey,
  subscriptionShardPartition,
} from '../keys.js'
import { chunk, mapWithConcurrency } from '../util/concurrency.js'
import { resendUnprocessed } from './batchWrite.js'
import { conditionHeld, ifConditionHeld } from './conditionalCheck.js'
import { queryPages } from './pager.js'
import { ENTITY_ATTRIBUTE, savedRoomState, savedSubscriber } from './savedItems.js'
import type { RoomSnapshot, RoomState, Subscriber } from './types.js'

/** BatchGetItem reads at most 100 keys. */
const BATCH_GET_LIMIT = 100
/** Rooms whose largeness a repository remembers (large is for good, so an entry never goes stale). */
const REMEMBERED_ROOMS = 10_000

/**
 * How far one partition's counter may count too many before a room's emptiness could be missed:
 * a leaver whose partition counts at most this many reads every counter (docs/data-model.md).
 * Counters drift mostly low (a count that may not have landed is not resent), so this is a
 * margin for the rare count the SDK resent after it landed.
 */
export const OWN_COUNT_SLACK = 8
/**
 * How long after a room was marked large a subscription it finds in the base partition may have
 * been counted there by the marking (ms): see `membership.ts`, a subscribe that meets the room
 * large only after writing into the base partition. Generous, for the clocks of other processes.
 */
export const MARKING_WINDOW_MS = 2_000
/** A room whose counters sum to at most this many per partition is read exactly and settled. */
export const ROOM_COUNT_SLACK_PER_PARTITION = 2

/** The partitions of a large room of `shards` shards: the base partition, then shards 0..S-1. */
export function partitionsOf(shards: number): number[] {
  return [BASE_SUBSCRIPTION_SHARD, ...Array.from({ length: shards }, (_, shard) => shard)]
}

/** One partition of a large room as an exact read found it. */
export interface PartitionRead {
  shard: number
  /** Subscriptions in the partition. */
  subscribers: number
  /**
   * The subscriptions its counter should count: all of them in a shard; in the base partition
   * not those written after the marking window (a subscribe moving to its shard, which does
   * not count itself out there: see {@link countableInBase}).
   */
  countable: number
  /** What its counter said, read before the subscriptions (undefined: no counter yet). */
  counted: number | undefined
  /** The counter's last count token as read with `counted`: a repair's condition. */
  countToken?: string | undefined
}

/** A counter as a read found it: its value and the token of the last count or repair. */
interface CounterRead {
  n: number | undefined
  token: string | undefined
}

/**
 * Whether a room's counters sort before its subscriptions (`#count` before `<room>|…`), so a
 * Query of a partition reads the counter before any subscription. Not for names that sort
 * before it (` lobby`, `!news`, `#announcements`): their counters are read on their own first.
 */
export function counterSortsFirst(roomName: string): boolean {
  return SUBSCRIBER_COUNT_SORT_KEY < `${roomName}|`
}

/**
 * The base partition's subscriptions its counter should count, as a subscribe that moves to its
 * shard decides (`membership.ts`): one written within {@link MARKING_WINDOW_MS} of the marking
 * counts itself out of the base partition when it moves, a later one does not. Both sides
 * compare the same two values (its `subscribedAt`, the counter's `markedAt`), so they agree
 * whatever the clocks of their processes. Without `markedAt` every mover counts itself out.
 */
export function countableInBase(subscribers: readonly Subscriber[], markedAt: number | undefined): number {
  if (markedAt === undefined) return subscribers.length
  return subscribers.filter((s) => s.subscribedAt <= markedAt + MARKING_WINDOW_MS).length
}

/** Every partition of a large room, read after its guard: the exact state. */
export interface LargeRoomSnapshot extends RoomSnapshot {
  shards: number
  partitions: PartitionRead[]
}

/** A large room's counters (and guard), read in one consistent BatchGetItem per 100 keys. */
export interface RoomCounts {
  state: RoomState | undefined
  /** Per partition, in {@link partitionsOf} order. */
  counts: { shard: number; count: number }[]
  /** Their sum, never below 0: the approximate subscriber count. */
  total: number
  /** The room's last `roomStats`, from the base counter: when it was claimed and the count it sent. */
  lastStats: { at: number | undefined; count: number | undefined }
}

/**
 * The parts of large rooms that are not membership or broadcast: which rooms are large (one
 * conditional update makes a room large, a per-repository memory remembers it), their
 * per-partition subscriber counters, and the exact read of all their partitions.
 *
 * @example
 * const rooms = createLargeRooms({ documentClient, tableName, readSnapshot })
 * const { total } = await rooms.readCounts('lobby', 64)
 */
export function createLargeRooms({
  documentClient,
  tableName,
  readSnapshot,
  pageSize,
  concurrency = 8,
  now = Date.now,
}: {
  now?: () => number
  documentClient: DynamoDBDocumentClient
  tableName: string
  readSnapshot: (roomName: string) => Promise<RoomSnapshot>
  pageSize?: number | undefined
  concurrency?: number
}) {
  const remembered = new Map<string, number>()

  /** Reads keys consistently (any number: 100 a request), resending what DynamoDB leaves unprocessed. */
  async function readKeys(keys: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    const found: Record<string, unknown>[] = []
    for (const batch of chunk(keys, BATCH_GET_LIMIT)) {
      await resendUnprocessed(
        batch,
        async (pending) => {
          const output = await documentClient.send(
            new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }),
          )
          found.push(...(output.Responses?.[tableName] ?? []))
          return (output.UnprocessedKeys?.[tableName]?.Keys ?? []) as Record<string, unknown>[]
        },
        {},
        'batch reads',
      )
    }
    return found
  }

  /** The subscriptions of one partition (Subscription items only) and the counter read with them. */
  async function readPartition(roomName: string, shard: number) {
    const input = {
      TableName: tableName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': 'pk' },
      ExpressionAttributeValues: { ':pk': subscriptionShardPartition(roomName, shard) },
      ConsistentRead: true,
      ...(pageSize ? { Limit: pageSize } : {}),
    }
    const subscribers: Subscriber[] = []
    const counter: CounterRead = { n: undefined, token: undefined }
    for await (const { items } of queryPages(documentClient, input)) {
      for (const item of items) {
        if (item[ENTITY_ATTRIBUTE] === 'Subscription') subscribers.push(savedSubscriber(item))
        else if (item[ENTITY_ATTRIBUTE] === SUBSCRIBER_COUNT_ENTITY) {
          counter.n = item.n as number
          counter.token = item.lastCount as string | undefined
        }
      }
    }
    return { subscribers, counter }
  }

  /** Counters read on their own (consistent, before their partitions), for names that sort before them. */
  async function readCounters(roomName: string, shards: number[]): Promise<Map<number, CounterRead>> {
    const items = await readKeys(shards.map((shard) => subscriberCountKey(roomName, shard)))
    const byPk = new Map(items.map((item) => [item.pk, item]))
    return new Map(
      shards.map((shard) => {
        const item = byPk.get(subscriberCountKey(roomName, shard).pk)
        return [shard, { n: item?.n as number | undefined, token: item?.lastCount as string | undefined }]
      }),
    )
  }

  const rooms = {
    readKeys,

    /** The shard count of a room this repository has seen large, or undefined. */
    known(roomName: string): number | undefined {
      return remembered.get(roomName)
    },

    /**
     * A room's shard count: remembered, or read from its guard (one consistent GetItem, and
     * remembered when the room is large); undefined for a small room.
     */
    async shardsOf(roomName: string): Promise<number | undefined> {
      const known = remembered.get(roomName)
      if (known !== undefined) return known
      const { Item } = await documentClient.send(
        new GetCommand({ TableName: tableName, Key: roomStateKey(roomName), ConsistentRead: true }),
      )
      const shards = Item?.shards as number | undefined
      if (shards !== undefined) rooms.remember(roomName, shards)
      return shards
    },

    /** Remembers that a room is large (a state read that carries `shards`). */
    remember(roomName: string, shards: number): void {
      if (remembered.has(roomName)) return
      // Oldest first out: a process that meets more large rooms than this reads some again.
      if (remembered.size >= REMEMBERED_ROOMS) remembered.delete(remembered.keys().next().value as string)
      remembered.set(roomName, shards)
    },

    /**
     * Makes a room large, once and for all: its guard gets `shards` unless it already has some
     * (a conditional update; a caller that finds some reads them), so concurrent crossings agree
     * on the first one written, and every caller learns which (undefined: the guard is gone). The update also moves the guard's `version` on, so a listing claim read
     * before it (which would put the guard back without `shards`) fails its condition and reads
     * again. The base partition's counter starts at the members it has (`baseCount`), written
     * first, so nobody counts into it before it exists; the winner reads the base partition once
     * more to count the subscribes that landed during the crossing. Requests: 2 UpdateItem +
     * Query (+ an UpdateItem to repair the count), or a GetItem when another crossing was first.
     */
    async markLarge(roomName: string, shards: number, baseCount: number): Promise<number | undefined> {
      await documentClient.send(
        new UpdateCommand({
          TableName: tableName,
          Key: subscriberCountKey(roomName, BASE_SUBSCRIPTION_SHARD),
          UpdateExpression:
            'SET #et = :et, #n = if_not_exists(#n, :n), #markedAt = if_not_exists(#markedAt, :now)',
          ExpressionAttributeNames: { '#et': ENTITY_ATTRIBUTE, '#n': 'n', '#markedAt': 'markedAt' },
          ExpressionAttributeValues: { ':et': SUBSCRIBER_COUNT_ENTITY, ':n': baseCount, ':now': now() },
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
      if (!marked) {
        // Another crossing was first (or the guard is gone): its count is the room's.
        const agreed = await rooms.shardsOf(roomName)
        if (agreed !== undefined) rooms.remember(roomName, agreed)
        return agreed
      }
      // Subscribes that read the room before the marking may still have landed in the base
      // partition uncounted: one more read of it sets its counter right (once per room).
      const first = counterSortsFirst(roomName)
        ? undefined
        : (await readCounters(roomName, [BASE_SUBSCRIPTION_SHARD])).get(BASE_SUBSCRIPTION_SHARD)
      const base = await readSnapshot(roomName)
      await rooms.repairCounts({ roomName, partitions: [basePartition(base, first)] })
      rooms.remember(roomName, shards)
      return shards
    },

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
        token = randomBytes(6).toString('base64url'),
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
     * The guard and every partition's counter of a large room, plus any `extraKeys` (a
     * connection's own subscription keys), in consistent BatchGetItem requests of 100 keys.
     */
    async readCounts(
      roomName: string,
      shards: number,
      extraKeys: { pk: string; sk: string }[] = [],
    ): Promise<RoomCounts & { extra: Map<string, Record<string, unknown>> }> {
      const partitions = partitionsOf(shards)
      const items = await readKeys([
        roomStateKey(roomName),
        ...partitions.map((shard) => subscriberCountKey(roomName, shard)),
        ...extraKeys,
      ])
      const byKey = new Map(items.map((item) => [`${item.pk}\u0000${item.sk}`, item]))
      const stateItem = byKey.get(`${roomStateKey(roomName).pk}\u0000${roomStateKey(roomName).sk}`)
      const baseKey = subscriberCountKey(roomName, BASE_SUBSCRIPTION_SHARD)
      const base = byKey.get(`${baseKey.pk}\u0000${baseKey.sk}`)
      const counts = partitions.map((shard) => {
        const key = subscriberCountKey(roomName, shard)
        return { shard, count: (byKey.get(`${key.pk}\u0000${key.sk}`)?.n as number | undefined) ?? 0 }
      })
      const extra = new Map<string, Record<string, unknown>>()
      for (const key of extraKeys) {
        const item = byKey.get(`${key.pk}\u0000${key.sk}`)
        if (item) extra.set(key.pk, item)
      }
      return {
        state: stateItem ? savedRoomState(stateItem) : undefined,
        counts,
        total: Math.max(
          0,
          counts.reduce((sum, { count }) => sum + count, 0),
        ),
        lastStats: { at: base?.statsAt as number | undefined, count: base?.statsCount as number | undefined },
        extra,
      }
    },

    /**
     * The exact state of a large room: its base partition (guard included) first, then every
     * shard (at most `concurrency` Queries at once). The guard is read before any shard, so a
     * claim made from this read fails if anyone claimed after it, and a subscription written
     * after a shard was read belongs to a writer that reads the guard afterwards.
     * Requests: one Query per partition and 1 MB (S + 1 for a room of small shards), and first a
     * BatchGetItem of the counters for a name that sorts before them ({@link counterSortsFirst}).
     */
    async readLarge(roomName: string, shards: number): Promise<LargeRoomSnapshot> {
      // A repair needs each counter as it was before its partition's subscriptions were read.
      const first = counterSortsFirst(roomName)
        ? undefined
        : await readCounters(roomName, partitionsOf(shards))
      const base = await readSnapshot(roomName)
      const reads = await mapWithConcurrency(
        Array.from({ length: shards }, (_, shard) => shard),
        concurrency,
        async (shard) => ({ shard, ...(await readPartition(roomName, shard)) }),
      )
      return {
        roomName,
        state: base.state,
        shards,
        subscribers: [...base.subscribers, ...reads.flatMap((read) => read.subscribers)],
        partitions: [
          basePartition(base, first?.get(BASE_SUBSCRIPTION_SHARD)),
          ...reads.map(({ shard, subscribers, counter }) => {
            const { n, token } = first?.get(shard) ?? counter
            return {
              shard,
              subscribers: subscribers.length,
              countable: subscribers.length,
              counted: n,
              countToken: token,
            }
          }),
        ],
      }
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
        const held = await conditionHeld(
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
                ':fresh': randomBytes(6).toString('base64url'),
                ':one': 1,
                ...(counted === undefined ? {} : { ':seen': counted }),
                ...(countToken === undefined ? {} : { ':token': countToken }),
              },
            }),
          ),
        )
        if (held) repaired++
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
          ExpressionAttributeValues: {
            ':et': SUBSCRIBER_COUNT_ENTITY,
            ':token': randomBytes(6).toString('base64url'),
          },
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
  }
  return rooms
}

export type LargeRooms = ReturnType<typeof createLargeRooms>

/** The base partition of an exact read: its subscriptions, what its counter should count, and the counter as read first. */
function basePartition(base: RoomSnapshot, first: CounterRead | undefined): PartitionRead {
  return {
    shard: BASE_SUBSCRIPTION_SHARD,
    subscribers: base.subscribers.length,
    countable: countableInBase(base.subscribers, base.markedAt),
    counted: first ? first.n : base.baseCount,
    countToken: first ? first.token : base.baseCountToken,
  }
}
