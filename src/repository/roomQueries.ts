import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb'
import { QueryCommand as TableQueryCommand } from 'dynamodb-toolbox/table/actions/query'
import {
  roomListingPartition,
  roomListingShard,
  roomSortKeyPrefix,
  subscriptionKey,
  subscriptionShardPartition,
} from '../keys.js'
import { assertConnectionId, assertRoomName } from '../validation.js'
import type { LargeRoomSnapshot, RoomCounts } from './largeRoomReads.js'
import { allItems, queryPages } from './pager.js'
import type { RepositoryContext } from './repositoryContext.js'
import {
  type ActiveRoomsPage,
  assertRoomPageLimit,
  compareRooms,
  DEFAULT_ROOM_PAGE_SIZE,
  listingStartKey,
  mergeShardReads,
  type ShardPosition,
  type ShardRead,
  startPositions,
} from './roomListing.js'
import { ENTITY_ATTRIBUTE, savedActiveRoom } from './savedItems.js'
import type { ActiveRoom, RoomSnapshot, RoomTransition, Subscriber } from './types.js'
import { userNamesOf } from './userNames.js'

/**
 * The repository's reads of rooms (who is in one, under which name, which rooms are listed)
 * and the operator's settle of one room.
 *
 * @example
 * const rooms = createRoomQueries(createRepositoryContext({ documentClient }))
 * const targets = await rooms.connectionsInRoom('general')
 */
export function createRoomQueries(context: RepositoryContext) {
  const { documentClient, table, entities, pageSize, readSnapshot, upkeep, now } = context
  const { roomListingShards: shards, roomListCacheMs, largeRooms, layouts } = context
  const { Room, Subscription } = entities
  // The first page of each size asked for, kept `roomListCacheMs` (the promise, so concurrent
  // callers of a cold entry share one read). Only first pages: a cursor's page is read anew.
  const firstPages = new Map<number, { at: number; page: Promise<ActiveRoomsPage> }>()

  // A record in a shard its name does not hash to was left by another shard count, and is not
  // kept up by this deployment's upkeep: left out until migration 003 or `chatdb cleanup rooms`
  // moves it (docs/migrations.md). With one shard every record is owned.
  const ownedBy = (shard: number) => (room: ActiveRoom) =>
    shards === 1 || roomListingShard(room.roomName, shards) === shard

  /**
   * The Query of one shard's active records (`true|…`), from a position, `limit` a page. Built
   * by the Room entity; sent and read as saved (savedItems.ts), a page of up to 1,000 rooms:
   * toolbox's formatter measured ~35 µs an item, `activeRooms` 2.46× its raw call with it
   * (docs/benchmarks.md, "Toolbox formatting on the hot read paths").
   */
  const listingQuery = (position: ShardPosition, limit: number | undefined) =>
    table
      .build(TableQueryCommand)
      .entities(Room)
      .query({
        partition: roomListingPartition(position.shard),
        range: { beginsWith: roomSortKeyPrefix(true) },
      })
      // The listing partitions hold nothing but Room records: no entity filter.
      .options({
        limit,
        entityAttrFilter: false,
        ...(position.after ? { exclusiveStartKey: listingStartKey(position.shard, position.after) } : {}),
      })
      .params()

  async function readPage(limit: number, cursor: string | undefined): Promise<ActiveRoomsPage> {
    const positions = startPositions(shards, cursor)
    // One Query per shard still to read, side by side: with one shard, one request.
    const reads = await Promise.all(
      positions.map(async (position): Promise<ShardRead> => {
        // One more than the page: a shard that answers more than the page holds certainly has
        // more, so the last page of a listing carries no `nextCursor` leading to an empty one.
        const output = await documentClient.send(new QueryCommand(listingQuery(position, limit + 1)))
        const read = (output.Items ?? []).map(savedActiveRoom)
        const last = read[read.length - 1]
        return {
          position,
          rooms: read.filter(ownedBy(position.shard)),
          truncated: output.LastEvaluatedKey !== undefined,
          ...(last ? { last } : {}),
        }
      }),
    )
    return mergeShardReads(reads, limit, shards)
  }

  /** A room's shard count, from its layout (read once: remembered, or one consistent GetItem); undefined for a small room. */
  async function largeRoomShards(roomName: string): Promise<number | undefined> {
    const layout = await layouts.read(assertRoomName(roomName))
    return layout.kind === 'large' ? layout.shards : undefined
  }

  return {
    /** Subscribers of a room and its guard, from one consistent Query. */
    async roomSnapshot(roomName: string): Promise<RoomSnapshot> {
      return readSnapshot(assertRoomName(roomName))
    },

    /** Broadcast targets: every connection subscribed to the room, with its user name. */
    async connectionsInRoom(roomName: string): Promise<Subscriber[]> {
      return (await readSnapshot(assertRoomName(roomName))).subscribers
    },

    /**
     * The connections of one subscription shard of a large room (the fan-out worker's targets):
     * one consistent Query of `Subscription|<room>|<shard>`, all pages, Subscription items only
     * (departures, the room state and the presence outbox are told apart by `_et` and left out).
     * `shard` `BASE_SUBSCRIPTION_SHARD` (-1) reads the room's base partition
     * `Subscription|<room>`: the members it had before it became large.
     * Requests: one per page (one up to 1 MB, ~30,000 subscriptions, or `pageSize`).
     *
     * @example
     * const targets = await repository.shardSubscribers('lobby', 7)
     */
    async shardSubscribers(roomName: string, shard: number): Promise<string[]> {
      const params = table
        .build(TableQueryCommand)
        .entities(Subscription)
        .query({ partition: subscriptionShardPartition(assertRoomName(roomName), shard) })
        .options({
          // Only what the answer needs (`data` and `_et`): a shard of ~1,500 subscriptions stays one small page.
          attributes: ['connectionId'],
          // Consistent: a member who subscribed a moment ago gets the message it may have seen sent.
          consistent: true,
          limit: pageSize,
          // Told apart in memory: the partition's few other items cost less than a filter's evaluation.
          entityAttrFilter: false,
        })
        .params()
      // Read as saved (savedItems.ts): the fan-out worker's read, up to ~1,500 ids a shard, at
      // ~35 µs an item through toolbox's formatter (docs/benchmarks.md, "Toolbox formatting on
      // the hot read paths": `connectionsInRoom` 3.11× its raw call with it).
      const items = await allItems(queryPages(documentClient, params))
      return items.flatMap((item) =>
        item[ENTITY_ATTRIBUTE] === Subscription.entityName && typeof item.data === 'string'
          ? [item.data]
          : [],
      )
    },

    /** The user name a connection subscribed to a room under, or undefined. */
    async userNameFor(roomName: string, connectionId: string): Promise<string | undefined> {
      // Raw, not the Subscription entity's GetItem: the item at the key may be a Departure (it
      // keeps the name of a connection that left: not subscribed), which that entity cannot read.
      const { Item } = await documentClient.send(
        new GetCommand({
          TableName: table.getName(),
          Key: subscriptionKey(assertRoomName(roomName), assertConnectionId(connectionId)),
          ConsistentRead: true,
        }),
      )
      const subscribed = Item?.[ENTITY_ATTRIBUTE] === Subscription.entityName
      return subscribed && typeof Item.userName === 'string' ? Item.userName : undefined
    },

    /** Distinct user names in a room, sorted. */
    async userNamesInRoom(roomName: string): Promise<string[]> {
      const { subscribers } = await readSnapshot(assertRoomName(roomName))
      return userNamesOf(subscribers)
    },

    /**
     * Every room with at least one subscriber, in creation order: every page of every listing
     * shard (one Query per shard for a small deployment). For the protocol, which must not read
     * 100k rooms per call, see {@link activeRoomsPage}.
     */
    async activeRooms(): Promise<ActiveRoom[]> {
      const perShard = await Promise.all(
        startPositions(shards, undefined).map(async (position) => {
          const items = await allItems(queryPages(documentClient, listingQuery(position, pageSize)))
          return items.map(savedActiveRoom).filter(ownedBy(position.shard))
        }),
      )
      const rooms = perShard.flat()
      return shards > 1 ? rooms.sort(compareRooms) : rooms
    },

    /**
     * A page of the active rooms in creation order: `limit` (1–1,000, default 1,000) rooms from
     * where `cursor` (a previous page's `nextCursor`) left off. Requests: one Query per listing
     * shard still holding rooms after the cursor (one in all with a single shard). A room that
     * stays active while a client pages is listed exactly once; rooms created meanwhile appear on
     * a later page, rooms emptied meanwhile may be missing. With `roomListCacheMs`, a first page
     * (no cursor) is answered from memory while younger than that.
     *
     * @example
     * let page = await repository.activeRoomsPage({ limit: 100 })
     * while (page.nextCursor) page = await repository.activeRoomsPage({ limit: 100, cursor: page.nextCursor })
     */
    async activeRoomsPage({
      limit,
      cursor,
    }: {
      limit?: number
      cursor?: string
    } = {}): Promise<ActiveRoomsPage> {
      const size = limit === undefined ? DEFAULT_ROOM_PAGE_SIZE : assertRoomPageLimit(limit)
      if (cursor !== undefined || roomListCacheMs <= 0) return readPage(size, cursor)
      const at = now()
      const cached = firstPages.get(size)
      if (cached && at - cached.at < roomListCacheMs && at >= cached.at) return cached.page
      const page = readPage(size, undefined)
      firstPages.set(size, { at, page })
      // A failed read is not kept: the next call tries again.
      page.catch(() => {
        if (firstPages.get(size)?.page === page) firstPages.delete(size)
      })
      return page
    },

    /**
     * A large room's shard count, or undefined for a small room: remembered, or one consistent
     * GetItem of its guard.
     */
    largeRoomShards,

    /**
     * A large room's approximate subscriber count, per partition and in all (the counters, one
     * consistent BatchGetItem), or undefined for a small room (whose Query tells exactly).
     */
    async subscriberCounts(roomName: string): Promise<(RoomCounts & { shards: number }) | undefined> {
      const shards = await largeRoomShards(roomName)
      if (shards === undefined) return undefined
      const { state, counts, total, lastStats } = await largeRooms.readCounts(roomName, shards)
      return { shards, state, counts, total, lastStats }
    },

    /**
     * The exact state of a large room: every partition read (guard first), with what each
     * partition's counter said; undefined for a small room. With `repair`, counters found wrong
     * are set right (each on condition that nothing was counted since it was read; `repairCounts`).
     * Requests: one Query per partition and 1 MB (+ an UpdateItem per repaired counter).
     */
    async largeRoomSnapshot(
      roomName: string,
      { repair = false }: { repair?: boolean } = {},
    ): Promise<(LargeRoomSnapshot & { repaired: number }) | undefined> {
      const shards = await largeRoomShards(roomName)
      if (shards === undefined) return undefined
      const snapshot = await largeRooms.readLarge(roomName, shards)
      return { ...snapshot, repaired: repair ? await largeRooms.repairCounts(snapshot) : 0 }
    },

    /** Re-reads a room and fixes its listing if it disagrees with its subscribers. */
    async settleRoom(roomName: string): Promise<RoomTransition | undefined> {
      return upkeep.settle(await readSnapshot(assertRoomName(roomName)))
    },
  }
}
