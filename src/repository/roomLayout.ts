import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb'
import { BASE_SUBSCRIPTION_SHARD, roomStateKey } from '../keys.js'
import type { RoomState } from './types.js'

/**
 * How a room's subscriptions lie in the table: a small room's in one partition
 * (`Subscription|<room>`), a large room's in its base partition (the members from before it
 * became large) and `shards` shard partitions. A room is small until it is marked large, and
 * large for good (`roomLifecycle.ts`). Read once per operation and passed down.
 */
export type RoomLayout = { kind: 'small' } | { kind: 'large'; shards: number }

/** The layout of every room that has not been marked large. */
export const SMALL_LAYOUT: RoomLayout = Object.freeze({ kind: 'small' })

/** The layout a room's guard tells (no guard, or one without `shards`: small). */
export function layoutOf(state: Pick<RoomState, 'shards'> | undefined): RoomLayout {
  return state?.shards === undefined ? SMALL_LAYOUT : { kind: 'large', shards: state.shards }
}

/** The partitions of a large room of `shards` shards: the base partition, then shards 0..S-1. */
export function partitionsOf(shards: number): number[] {
  return [BASE_SUBSCRIPTION_SHARD, ...Array.from({ length: shards }, (_, shard) => shard)]
}

/** Rooms a repository remembers as large (large is for good, so an entry never goes stale). */
const REMEMBERED_ROOMS = 10_000

/**
 * What one repository knows of rooms' layouts without a request: the large rooms it has met.
 * A room it has not met may be small or large; the operation's first read of the room tells.
 *
 * @example
 * const layouts = createLayoutMemory({ documentClient, tableName })
 * const layout = layouts.remembered('lobby') ?? (await layouts.read('lobby'))
 */
export function createLayoutMemory({
  documentClient,
  tableName,
}: {
  documentClient: DynamoDBDocumentClient
  tableName: string
}) {
  const largeRooms = new Map<string, number>()

  /** Remembers a room's layout (only a large one: a small room may be marked large any time). */
  function remember(roomName: string, layout: RoomLayout): RoomLayout {
    if (layout.kind === 'small' || largeRooms.has(roomName)) return layout
    // Oldest first out: a process that meets more large rooms than this reads some again.
    if (largeRooms.size >= REMEMBERED_ROOMS) largeRooms.delete(largeRooms.keys().next().value as string)
    largeRooms.set(roomName, layout.shards)
    return layout
  }

  return {
    /** The layout of a room this repository has met large; undefined: not known without a read. */
    remembered(roomName: string): RoomLayout | undefined {
      const shards = largeRooms.get(roomName)
      return shards === undefined ? undefined : { kind: 'large', shards }
    },

    remember,

    /** A room's layout: remembered, or read from its guard (one consistent GetItem). */
    async read(roomName: string): Promise<RoomLayout> {
      const shards = largeRooms.get(roomName)
      if (shards !== undefined) return { kind: 'large', shards }
      const { Item } = await documentClient.send(
        new GetCommand({ TableName: tableName, Key: roomStateKey(roomName), ConsistentRead: true }),
      )
      return remember(roomName, layoutOf({ shards: Item?.shards as number | undefined }))
    },
  }
}

export type LayoutMemory = ReturnType<typeof createLayoutMemory>
