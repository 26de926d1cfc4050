import {
  type AttributeValue,
  BatchWriteItemCommand,
  ScanCommand as RawScanCommand,
} from '@aws-sdk/client-dynamodb'
import type { DynamoDBDocumentClient, ScanCommandInput } from '@aws-sdk/lib-dynamodb'
import { BatchDeleteRequest } from 'dynamodb-toolbox/entity/actions/batchDelete'
import { DeleteItemCommand } from 'dynamodb-toolbox/entity/actions/delete'
import { QueryCommand } from 'dynamodb-toolbox/table/actions/query'
import { ScanCommand } from 'dynamodb-toolbox/table/actions/scan'
import { checkOption } from '../config/settings.js'
import { createEntities } from '../entities/index.js'
import {
  DEFAULT_ROOM_LISTING_SHARDS,
  messagePartition,
  roomListingPartition,
  roomListingShard,
  roomListingShardOf,
} from '../keys.js'
import { createTable, DEFAULT_TABLE_NAME } from '../table.js'
import {
  type BatchWriteOptions,
  type BatchWriteResult,
  type WriteRequest,
  writeInBatches,
} from './batchWrite.js'
import { conditionHeld } from './conditionalCheck.js'
import { allItems, type PageKey, type PagerOptions, pages, queryPages, scanPages } from './pager.js'
import { ENTITY_ATTRIBUTE } from './savedItems.js'
import { describeTimeToLive, findTable } from './tableDescription.js'

/** An item as DynamoDB JSON (`{ "pk": { "S": "…" } }`), not unmarshalled. */
export type RawItem = Record<string, AttributeValue>

/** A put or delete of raw DynamoDB JSON items, for BatchWriteItem. */
export type RawWriteRequest = NonNullable<
  ConstructorParameters<typeof BatchWriteItemCommand>[0]['RequestItems']
>[string][number]

export interface TableStoreOptions {
  documentClient: DynamoDBDocumentClient
  /** Table name (default `chat`). */
  tableName?: string
  /** Listing shards of the table's rooms (default 1), as the repository's `roomListingShards`. */
  roomListingShards?: number
}

/** The records the table holds for every room name it knows, for reconciling room listings. */
export interface RoomRecords {
  /** Every name a room guard, room record or subscription carries. */
  names: Set<string>
  /**
   * The `Room` listing records of each name (none, one, or two mid-transition), with the shard
   * they are in and whether that is the shard the configured `roomListingShards` gives the name.
   */
  listings: Map<string, RoomListingRecord[]>
}

/** One room listing record found by a Scan. */
export interface RoomListingRecord {
  active: boolean
  version: number
  createdAt: number
  /** The listing shard the record is in. */
  shard: number
  /** False when the configured shard count puts the name in another shard. */
  placed: boolean
}

/**
 * The table-wide side of the data layer: Scans and raw item reads and writes for the operator
 * functions (cleanup, inspect, seed, import/export), on the same toolbox table, entities and
 * keys as the repository. The repository answers one room's or one connection's questions
 * through its access patterns; this answers questions about the whole table, which only a Scan
 * can. Filters and projections are built by toolbox (`.params()`), paging by the one pager.
 *
 * @example
 * const store = createTableStore({ documentClient, tableName: 'chat' })
 * const { entities } = await store.countByEntity()
 * for await (const items of store.rawPages()) console.log(items.length)
 */
export function createTableStore({
  documentClient,
  tableName = DEFAULT_TABLE_NAME,
  roomListingShards = DEFAULT_ROOM_LISTING_SHARDS,
}: TableStoreOptions) {
  checkOption('roomListingShards', roomListingShards)
  const table = createTable({ name: tableName, documentClient })
  const entities = createEntities(table, { roomListingShards })
  const { Room, RoomState, Subscription, Message } = entities

  /** Every item of a Scan built by toolbox, as the document client unmarshalls it. */
  const scanned = (params: ScanCommandInput) => allItems(scanPages(documentClient, params))

  return {
    tableName,
    roomListingShards,
    /** DescribeTable of this table, or undefined when it does not exist. */
    describe: () => findTable(documentClient, tableName),
    /** DescribeTimeToLive of this table. */
    timeToLive: () => describeTimeToLive(documentClient, tableName),
    /** The toolbox table and entities, for operator code that builds item requests with them. */
    table,
    entities,

    /**
     * Every page of a Scan of the whole table, as raw DynamoDB JSON (no unmarshalling, so
     * numbers keep their exact text and nothing is lost on the way to an export file).
     */
    async *rawPages(options: PagerOptions & { pageSize?: number } = {}): AsyncGenerator<RawItem[]> {
      const read = (startKey: PageKey | undefined) =>
        documentClient.send(
          new RawScanCommand({
            TableName: tableName,
            Limit: options.pageSize,
            ExclusiveStartKey: startKey as RawItem | undefined,
          }),
        )
      for await (const page of pages(read, options)) yield page.items
    },

    /** How many messages a room has: a COUNT Query of its message partition, page by page. */
    async countMessages(roomName: string): Promise<number> {
      let total = 0
      const params = table
        .build(QueryCommand)
        .entities(Message)
        .query({ partition: messagePartition(roomName) })
        // Only messages live in the partition: every item counts, no filter.
        .options({ select: 'COUNT', entityAttrFilter: false })
        .params()
      for await (const page of queryPages(documentClient, params)) total += page.count
      return total
    },

    /** The pages of a COUNT Scan of the whole table: `count` per page, no items read back. */
    countPages(options: PagerOptions & { pageSize?: number } = {}) {
      return scanPages(
        documentClient,
        { TableName: tableName, Select: 'COUNT', Limit: options.pageSize },
        options,
      )
    },

    /**
     * Sends one BatchWriteItem of raw DynamoDB JSON items (at most 25) and answers the requests
     * DynamoDB left unprocessed, for the caller's retry (`writeBatch`).
     */
    async writeRawBatch(requests: RawWriteRequest[]): Promise<RawWriteRequest[]> {
      const { UnprocessedItems } = await documentClient.send(
        new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } }),
      )
      return UnprocessedItems?.[tableName] ?? []
    },

    /** Puts and deletes built by the entities, 25 a BatchWriteItem, unprocessed items retried. */
    async writeItems(
      requests: readonly WriteRequest[],
      options?: BatchWriteOptions,
    ): Promise<BatchWriteResult> {
      return writeInBatches(documentClient, tableName, requests, options)
    },

    /** Items by toolbox entity (`(none)` for items without one) and in all, from a projected Scan. */
    async countByEntity(): Promise<{ entities: Map<string, number>; scannedItems: number }> {
      // Entity names come from the items: a Map, so any name (even `__proto__`) counts correctly.
      const counts = new Map<string, number>()
      let scannedItems = 0
      // Raw, not a toolbox Scan: it counts items of every kind, those no entity knows (`(none)`)
      // included, and toolbox projects only the attributes of the entities it is given.
      const params: ScanCommandInput = {
        TableName: tableName,
        ProjectionExpression: '#et',
        ExpressionAttributeNames: { '#et': ENTITY_ATTRIBUTE },
      }
      for await (const { items } of scanPages(documentClient, params)) {
        for (const item of items) {
          const entity = typeof item[ENTITY_ATTRIBUTE] === 'string' ? item[ENTITY_ATTRIBUTE] : '(none)'
          counts.set(entity, (counts.get(entity) ?? 0) + 1)
        }
        scannedItems += items.length
      }
      return { entities: counts, scannedItems }
    },

    /** Connection ids that hold at least one subscription, sorted (a Scan of Subscription items). */
    async subscribedConnections(): Promise<string[]> {
      const params = table
        .build(ScanCommand)
        .entities(Subscription)
        .options({ attributes: ['connectionId'] })
        .params()
      // `connectionId` is saved as `data` (the GSI key).
      const ids = (await scanned(params)).map((item) => item.data).filter((id) => typeof id === 'string')
      return [...new Set(ids)].sort()
    },

    /** Every room name the table knows (guards, listing records, subscriptions) and its listing records. */
    async roomRecords(): Promise<RoomRecords> {
      const params = table.build(ScanCommand).entities(Room, RoomState, Subscription).params()
      const records: RoomRecords = { names: new Set(), listings: new Map() }
      for await (const { items } of scanPages(documentClient, params)) {
        for (const item of items) {
          const isRoom = item[ENTITY_ATTRIBUTE] === Room.entityName
          // A listing record saves its room name as `data`; guards and subscriptions as `roomName`.
          const name = isRoom ? item.data : item.roomName
          if (typeof name !== 'string') continue
          records.names.add(name)
          if (isRoom) {
            const shard = roomListingShardOf(String(item.pk)) ?? -1
            const list = records.listings.get(name) ?? []
            list.push({
              active: item.active === true,
              version: Number(item.version ?? 0),
              createdAt: Number(item.createdAt),
              shard,
              placed: shard === roomListingShard(name, roomListingShards),
            })
            records.listings.set(name, list)
          }
        }
      }
      return records
    },

    /**
     * Deletes a room listing record from the shard it was found in (by {@link roomRecords}),
     * unless it changed since: a record the configured shard count puts elsewhere, after its
     * room's listing was written where it belongs. Answers false when the record had changed
     * or was gone already.
     */
    async deleteRoomListing(roomName: string, record: Omit<RoomListingRecord, 'placed'>): Promise<boolean> {
      return conditionHeld(
        Room.build(DeleteItemCommand)
          .key({
            partition: roomListingPartition(record.shard),
            roomName,
            active: record.active,
            createdAt: record.createdAt,
          })
          .options({ condition: { attr: 'version', eq: record.version } })
          .send(),
      )
    },

    /**
     * Every room listing record, active and inactive, of every listing shard (one Query per
     * shard, or per shard its first `maxPages` pages of `limit` records), shard by shard.
     */
    async roomListings({ limit, maxPages }: { limit?: number; maxPages?: number } = {}) {
      const perShard = await Promise.all(
        Array.from({ length: roomListingShards }, async (_, shard) => {
          const query = table
            .build(QueryCommand)
            .entities(Room)
            .query({ partition: roomListingPartition(shard) })
          const read = (exclusiveStartKey: PageKey | undefined) =>
            query.options({ exclusiveStartKey, limit }).send()
          return allItems(pages(read, { maxPages }))
        }),
      )
      return perShard.flat().map(({ roomName, active, createdAt }) => ({ roomName, active, createdAt }))
    },

    /**
     * Messages older than `cutoffMs` (a Scan filtered on entity and time): each one's room and the
     * request that deletes it.
     */
    async messagesBefore(cutoffMs: number): Promise<{ roomName: string; delete: WriteRequest }[]> {
      const scan = table.build(ScanCommand).entities(Message)
      const read = (exclusiveStartKey: PageKey | undefined) =>
        scan
          .options({
            filters: { Message: { attr: 'time', lt: cutoffMs } },
            attributes: ['roomName', 'time', 'id'],
            exclusiveStartKey,
          })
          .send()
      return (await allItems(pages(read))).map(({ roomName, time, id }) => ({
        roomName,
        delete: Message.build(BatchDeleteRequest).key({ roomName, time, id }).params(),
      }))
    },
  }
}

export type TableStore = ReturnType<typeof createTableStore>
