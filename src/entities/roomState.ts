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
 * `version` increases with every change of `listed`, by conditional update only.
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
    }),
    computeKey: ({ roomName }) => roomStateKey(roomName),
  })
}

export type RoomStateEntity = ReturnType<typeof createRoomStateEntity>
