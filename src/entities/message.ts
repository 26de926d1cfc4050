import { Entity } from 'dynamodb-toolbox/entity'
import { item } from 'dynamodb-toolbox/schema/item'
import { number } from 'dynamodb-toolbox/schema/number'
import { string } from 'dynamodb-toolbox/schema/string'
import { messageKey, userNameOfHistoryKey } from '../keys.js'
import type { ChatTable } from '../table.js'

/**
 * `{ pk: "Message|<room>", sk: "<room>|<ISO time>|<id>", data: <user name>, connectionId, message }`.
 * `data` is the user name (not the seed's connection id) so the GSI serves per-user history;
 * with write-sharded history (`userHistoryShards` > 1) it is `<user name>|<k>` for shard k > 0.
 * The decoder strips that suffix, so every toolbox read of a Message sees the plain name; the
 * writer (`postMessage`) passes the sharded key in, which the identity encoder keeps.
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
      userName: string()
        .savedAs('data')
        .transform({ encode: (name: string) => name, decode: userNameOfHistoryKey }),
      connectionId: string(),
      message: string(),
      expiresAt: number().optional(),
    }),
    computeKey: messageKey,
  })
}

export type MessageEntity = ReturnType<typeof createMessageEntity>
