import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
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
import { queryPages } from './pager.js'
import { partitionsOf } from './roomLayout.js'
import { ENTITY_ATTRIBUTE, savedRoomState, savedSubscriber } from './savedItems.js'
import type { RoomSnapshot, RoomState, Subscriber } from './types.js'

/** BatchGetItem reads at most 100 keys. */
const BATCH_GET_LIMIT = 100

/**
 * How long after a room was marked large a subscription it finds in the base partition may have
 * been counted there by the marking (ms): see `roomLifecycle.ts`, a subscribe that meets the room
 * large only after writing into the base partition. Generous, for the clocks of other processes.
 */
export const MARKING_WINDOW_MS = 2_000

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
export interface CounterRead {
  n: number | undefined
  token: string | undefined
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
 * Whether a room's counters sort before its subscriptions (`#count` before `<room>|…`), so a
 * Query of a partition reads the counter before any subscription. Not for names that sort
 * before it (` lobby`, `!news`, `#announcements`): their counters are read on their own first.
 */
export function counterSortsFirst(roomName: string): boolean {
  return SUBSCRIBER_COUNT_SORT_KEY < `${roomName}|`
}

/**
 * The base partition's subscriptions its counter should count, as a subscribe that moves to its
 * shard decides (`roomLifecycle.ts`): one written within {@link MARKING_WINDOW_MS} of the marking
 * counts itself out of the base partition when it moves, a later one does not. Both sides
 * compare the same two values (its `subscribedAt`, the counter's `markedAt`), so they agree
 * whatever the clocks of their processes. Without `markedAt` every mover counts itself out.
 */
export function countableInBase(subscribers: readonly Subscriber[], markedAt: number | undefined): number {
  if (markedAt === undefined) return subscribers.length
  return subscribers.filter((s) => s.subscribedAt <= markedAt + MARKING_WINDOW_MS).length
}

/** The base partition of an exact read: its subscriptions, what its counter should count, and the counter as read first. */
export function basePartition(base: RoomSnapshot, first: CounterRead | undefined): PartitionRead {
  return {
    shard: BASE_SUBSCRIPTION_SHARD,
    subscribers: base.subscribers.length,
    countable: countableInBase(base.subscribers, base.markedAt),
    counted: first ? first.n : base.baseCount,
    countToken: first ? first.token : base.baseCountToken,
  }
}

/** The key of an item in the maps below. */
const keyOf = (key: Record<string, unknown>) => `${key.pk}\u0000${key.sk}`

/**
 * The consistent reads of large rooms: keys by the hundred, the guard and counters at once, one
 * partition, or every partition (the exact state a settle and a repair start from).
 *
 * @example
 * const reads = createLargeRoomReads({ documentClient, tableName, readSnapshot })
 * const { total } = await reads.readCounts('lobby', 64)
 */
export function createLargeRoomReads({
  documentClient,
  tableName,
  readSnapshot,
  pageSize,
  concurrency = 8,
}: {
  documentClient: DynamoDBDocumentClient
  tableName: string
  readSnapshot: (roomName: string) => Promise<RoomSnapshot>
  pageSize?: number | undefined
  concurrency?: number
}) {
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

  return {
    readKeys,
    readCounters,

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
      const byKey = new Map(items.map((item) => [keyOf(item), item]))
      const stateItem = byKey.get(keyOf(roomStateKey(roomName)))
      const base = byKey.get(keyOf(subscriberCountKey(roomName, BASE_SUBSCRIPTION_SHARD)))
      const counts = partitions.map((shard) => ({
        shard,
        count: (byKey.get(keyOf(subscriberCountKey(roomName, shard)))?.n as number | undefined) ?? 0,
      }))
      const extra = new Map<string, Record<string, unknown>>()
      for (const key of extraKeys) {
        const item = byKey.get(keyOf(key))
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
  }
}

export type LargeRoomReads = ReturnType<typeof createLargeRoomReads>
