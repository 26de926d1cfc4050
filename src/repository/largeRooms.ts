import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { createLargeRoomCounters } from './largeRoomCounters.js'
import { createLargeRoomReads } from './largeRoomReads.js'
import { createLayoutMemory, type LayoutMemory } from './roomLayout.js'
import { markLarge } from './roomLifecycle.js'
import type { RoomSnapshot } from './types.js'

/**
 * The data of large rooms apart from membership: the crossing that makes a room large
 * (`markLarge`, from `roomLifecycle.ts`, the state machine), their consistent reads
 * (`largeRoomReads.ts`) and their per-partition subscriber counters (`largeRoomCounters.ts`),
 * over one table and one memory of layouts.
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
  layouts = createLayoutMemory({ documentClient, tableName }),
}: {
  now?: () => number
  documentClient: DynamoDBDocumentClient
  tableName: string
  readSnapshot: (roomName: string) => Promise<RoomSnapshot>
  pageSize?: number | undefined
  concurrency?: number
  /** The layouts the repository remembers (default: a memory of its own). */
  layouts?: LayoutMemory
}) {
  const reads = createLargeRoomReads({ documentClient, tableName, readSnapshot, pageSize, concurrency })
  const counters = createLargeRoomCounters({ documentClient, tableName, now })
  return {
    ...reads,
    ...counters,

    /**
     * Makes a room large (see `markLarge` in `roomLifecycle.ts`) and answers its shard count
     * then: `shards`, or those of a crossing that was first (undefined: the guard is gone).
     */
    async markLarge(roomName: string, shards: number, baseCount: number): Promise<number | undefined> {
      const parts = { documentClient, tableName, now, readSnapshot, reads, counters, layouts }
      const layout = await markLarge(parts, roomName, shards, baseCount)
      return layout.kind === 'large' ? layout.shards : undefined
    },
  }
}

export type LargeRooms = ReturnType<typeof createLargeRooms>
