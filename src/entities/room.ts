import { Entity } from 'dynamodb-toolbox/entity'
import { boolean } from 'dynamodb-toolbox/schema/boolean'
import { item } from 'dynamodb-toolbox/schema/item'
import { number } from 'dynamodb-toolbox/schema/number'
import { string } from 'dynamodb-toolbox/schema/string'
import { DEFAULT_ROOM_LISTING_SHARDS, roomKey } from '../keys.js'
import type { ChatTable } from '../table.js'

/**
 * The listing record of a room: `{ pk: "Room" | "Room|<shard>", sk: "<active>|<created>|<room>",
 * data: <room> }`, in the listing shard its name hashes to among `roomListingShards` (keys.ts).
 * Exactly one per name once the room settles; `version` is the RoomState version it was
 * written for, so a late writer of an older version can tell it lost (see roomUpkeep.ts).
 */
export function createRoomEntity(table: ChatTable, roomListingShards = DEFAULT_ROOM_LISTING_SHARDS) {
  return new Entity({
    name: 'Room',
    table,
    timestamps: false,
    schema: item({
      /**
       * The listing partition the record is in: on a write, only to address a record left in
       * another shard than its name's (`chatdb cleanup rooms` deletes those); on a read, always.
       * It is the record's `pk`, no attribute of its own.
       */
      partition: string().key().savedAs('pk').optional(),
      roomName: string().key().savedAs('data'),
      active: boolean().key(),
      createdAt: number().key(),
      version: number(),
    }),
    computeKey: ({ partition, ...room }) => {
      const key = roomKey(room, roomListingShards)
      return partition === undefined ? key : { ...key, pk: partition }
    },
  })
}

export type RoomEntity = ReturnType<typeof createRoomEntity>
