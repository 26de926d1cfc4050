import { createEntities } from '../entities/index.js'
import { ChatDbError } from '../errors.js'
import { DEFAULT_ROOM_LISTING_SHARDS } from '../keys.js'
import { createTable, DEFAULT_TABLE_NAME } from '../table.js'
import {
  assertLargeRoomShards,
  assertLargeRoomThreshold,
  DEFAULT_LARGE_ROOM_SHARDS,
  DEFAULT_LARGE_ROOM_THRESHOLD,
} from './largeRoomOptions.js'
import { createLargeRooms } from './largeRooms.js'
import { assertRoomListCacheMs, assertRoomListingShards } from './roomListing.js'
import { readRoomSnapshot } from './roomSnapshot.js'
import { createRoomUpkeep } from './roomUpkeep.js'
import type { ChatRepositoryOptions } from './types.js'
import { resolveUserHistoryShards } from './userHistoryShards.js'

/**
 * What every group of repository methods shares: the options with their defaults, the toolbox
 * table and entities bound to the caller's document client, the room read and its upkeep. Built
 * once per repository by `createChatRepository`; the method modules take it and nothing else.
 */
export function createRepositoryContext(options: ChatRepositoryOptions) {
  const {
    documentClient,
    tableName = DEFAULT_TABLE_NAME,
    now = Date.now,
    recentMessagesLimit = 50,
    pageSize,
    concurrency = 8,
    maxRoomsPerConnection = 100,
    maxSubscribersPerRoom = 10_000,
    messageRetentionDays,
    batchWrite,
    roomListingShards = DEFAULT_ROOM_LISTING_SHARDS,
    roomListCacheMs = 0,
    coalesceFrom = 100,
    coalesceWindowMs = 250,
    sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
    largeRoomThreshold = DEFAULT_LARGE_ROOM_THRESHOLD,
    largeRoomShards = DEFAULT_LARGE_ROOM_SHARDS,
  } = options
  const { coalesceLeaseMs = 10 * coalesceWindowMs + 1_000 } = options
  if (messageRetentionDays !== undefined && !(messageRetentionDays > 0)) {
    throw new ChatDbError(
      'validation.option',
      `messageRetentionDays must be positive (got ${messageRetentionDays})`,
    )
  }
  const userHistoryShards = resolveUserHistoryShards(options)
  // A Query's Limit is at least 1; NaN would make every room big.
  if (!(coalesceFrom === Number.POSITIVE_INFINITY || (Number.isInteger(coalesceFrom) && coalesceFrom >= 1))) {
    throw new ChatDbError(
      'validation.option',
      `coalesceFrom must be a whole number ≥ 1 or Infinity (got ${coalesceFrom})`,
    )
  }
  for (const [name, value] of Object.entries({ coalesceWindowMs, coalesceLeaseMs })) {
    if (!(value >= 0 && Number.isFinite(value))) {
      throw new ChatDbError('validation.option', `${name} must be a finite number ≥ 0 (got ${value})`)
    }
  }
  assertLargeRoomThreshold(largeRoomThreshold)
  assertLargeRoomShards(largeRoomShards)
  const table = createTable({ name: tableName, documentClient })
  assertRoomListingShards(roomListingShards)
  assertRoomListCacheMs(roomListCacheMs)
  const entities = createEntities(table, { roomListingShards })
  const readSnapshot = (roomName: string) => readRoomSnapshot(table, entities, roomName, pageSize)
  const largeRooms = createLargeRooms({ documentClient, tableName, readSnapshot, pageSize, concurrency, now })
  const upkeep = createRoomUpkeep({
    documentClient,
    tableName,
    entities,
    now,
    readSnapshot,
    readLarge: largeRooms.readLarge,
    onLarge: largeRooms.remember,
    afterExactRead: largeRooms.repairCounts,
  })
  return {
    documentClient,
    tableName,
    now,
    recentMessagesLimit,
    pageSize,
    concurrency,
    maxRoomsPerConnection,
    maxSubscribersPerRoom,
    messageRetentionDays,
    batchWrite,
    userHistoryShards,
    roomListingShards,
    roomListCacheMs,
    coalesceFrom,
    coalesceWindowMs,
    coalesceLeaseMs,
    sleep,
    table,
    entities,
    readSnapshot,
    upkeep,
    largeRoomThreshold,
    largeRoomShards,
    largeRooms,
  }
}

export type RepositoryContext = ReturnType<typeof createRepositoryContext>
