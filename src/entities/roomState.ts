import { Entity } from 'dynamodb-toolbox/entity'
import { boolean } from 'dynamodb-toolbox/schema/boolean'
import { item } from 'dynamodb-toolbox/schema/item'
import { number } from 'dynamodb-toolbox/schema/number'
import { string } from 'dynamodb-toolbox/schema/string'
import { roomStateKey } from '../keys.js'
import type { ChatTable } from '../table.js'

/**
 * The name-keyed guard of a room, stored in the room's subscription partition so that the one
 * Query that lists a room's subscribers also says whether the room is listed.
 * `version` increases with every change of `listed`, by conditional update only. `shards` is
 * set once, when the room becomes large (an update that also moves `version` on, so a claim read
 * before it fails), and every later claim carries it.
 */
export function createRoomStateEntity(table: ChatTable) {
  return new Entity({
    name: 'RoomState',
    table,
    timestamps: false,
    schema: item({
      roomName: string().key(),
      createdAt: number(),
      listed: boolean(),
      version: number(),
      /** Set once, when the room becomes large: its subscription shards (docs/data-model.md, "Large rooms"). */
      shards: number().optional(),
    }),
    computeKey: ({ roomName }) => roomStateKey(roomName),
  })
}

export type RoomStateEntity = ReturnType<typeof createRoomStateEntity>
