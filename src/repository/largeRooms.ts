import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { createLargeRoomCounters } from './largeRoomCounters.js'
import { createLargeRoomReads } from './largeRoomReads.js'
import type { RoomSnapshot } from './types.js'

/**
 * The data of large rooms apart from membership and their state machine (`roomLifecycle.ts`):
 * their consistent reads (`largeRoomReads.ts`) and their per-partition subscriber counters
 * (`largeRoomCounters.ts`), over one table.
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
  const reads = createLargeRoomReads({ documentClient, tableName, readSnapshot, pageSize, concurrency })
  const counters = createLargeRoomCounters({ documentClient, tableName, now })
  return {
    ...reads,
    ...counters,
  }
}

export type LargeRooms = ReturnType<typeof createLargeRooms>
