import { Entity } from 'dynamodb-toolbox/entity'
import { item } from 'dynamodb-toolbox/schema/item'
import { number } from 'dynamodb-toolbox/schema/number'
import { string } from 'dynamodb-toolbox/schema/string'
import { messageKey } from '../keys.js'
import type { ChatTable } from '../table.js'

/**
 * `{ pk: "Message|<room>", sk: "<room>|<ISO time>|<id>", data: <user name>, connectionId, message }`.
 * `data` is the user name (not the seed's connection id) so the GSI serves per-user history.
 */
export function createMessageEntity(table: ChatTable) {
  return new Entity({
    name: 'Message',
    table,
    timestamps: false,
    schema: item({
      roomName: string().key(),
      time: number().key(),
      id: string().key(),
      userName: string().savedAs('data'),
      connectionId: string(),
      message: string(),
      expiresAt: number().optional(),
    }),
    computeKey: messageKey,
  })
}

export type MessageEntity = ReturnType<typeof createMessageEntity>
