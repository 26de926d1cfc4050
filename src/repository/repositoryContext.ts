import { checkOption, SETTINGS } from '../config/settings.js'
import { createEntities } from '../entities/index.js'
import { createTable, DEFAULT_TABLE_NAME } from '../table.js'
import { createLargeRooms } from './largeRooms.js'
import { createLayoutMemory } from './roomLayout.js'
import { createRoomLifecycle } from './roomLifecycle.js'
import { readRoomSnapshot } from './roomSnapshot.js'
import { createRoomUpkeep } from './roomUpkeep.js'
import { createSubscriptionWrites } from './subscriptionWrites.js'
import type { ChatRepositoryOptions } from './types.js'
import { resolveUserHistoryShards } from './userHistoryShards.js'

/**
 * What every group of repository methods shares: the options with their defaults, the toolbox
 * table and entities bound to the caller's document client, the room read, the layouts it
 * remembers, the subscription writes and the room's state machine (`roomLifecycle.ts`). Built
 * once per repository by `createChatRepository`; the method modules take it and nothing else.
 */
export function createRepositoryContext(options: ChatRepositoryOptions) {
  const {
    documentClient,
    tableName = DEFAULT_TABLE_NAME,
    now = Date.now,
    recentMessagesLimit = SETTINGS.recentMessagesLimit.default,
    pageSize,
    concurrency = 8,
    maxRoomsPerConnection = 100,
    maxSubscribersPerRoom = 10_000,
    messageRetentionDays,
    batchWrite,
    roomListingShards = SETTINGS.roomListingShards.default,
    roomListCacheMs = SETTINGS.roomListCacheMs.default,
    coalesceFrom = SETTINGS.coalesceFrom.default,
    coalesceWindowMs = SETTINGS.coalesceWindowMs.default,
    sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
    largeRoomThreshold = SETTINGS.largeRoomThreshold.default,
    largeRoomShards = SETTINGS.largeRoomShards.default,
  } = options
  const { coalesceLeaseMs = 10 * coalesceWindowMs + 1_000 } = options
  // Every option by its setting's rule (src/config/settings.ts), before anything is built.
  checkOption('recentMessagesLimit', recentMessagesLimit)
  if (messageRetentionDays !== undefined) checkOption('messageRetentionDays', messageRetentionDays)
  const userHistoryShards = resolveUserHistoryShards(options)
  checkOption('coalesceFrom', coalesceFrom)
  checkOption('coalesceWindowMs', coalesceWindowMs)
  checkOption('coalesceLeaseMs', coalesceLeaseMs)
  checkOption('largeRoomThreshold', largeRoomThreshold)
  checkOption('largeRoomShards', largeRoomShards)
  checkOption('roomListingShards', roomListingShards)
  checkOption('roomListCacheMs', roomListCacheMs)
  const table = createTable({ name: tableName, documentClient })
  const entities = createEntities(table, { roomListingShards })
  const readSnapshot = (roomName: string) => readRoomSnapshot(table, entities, roomName, pageSize)
  const layouts = createLayoutMemory({ documentClient, tableName })
  const largeRooms = createLargeRooms({ documentClient, tableName, readSnapshot, pageSize, concurrency, now })
  const upkeep = createRoomUpkeep({
    documentClient,
    tableName,
    entities,
    now,
    readSnapshot,
    readLarge: largeRooms.readLarge,
    onLarge: (roomName, shards) => layouts.remember(roomName, { kind: 'large', shards }),
    afterExactRead: largeRooms.repairCounts,
  })
  const writes = createSubscriptionWrites({ documentClient, tableName, entities, now })
  const lifecycle = createRoomLifecycle({
    documentClient,
    tableName,
    now,
    readSnapshot,
    reads: largeRooms,
    counters: largeRooms,
    layouts,
    upkeep,
    writes,
    largeRoomShards,
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
    layouts,
    writes,
    lifecycle,
  }
}

export type RepositoryContext = ReturnType<typeof createRepositoryContext>
