import { randomUUID } from 'node:crypto'
import { PutItemCommand } from 'dynamodb-toolbox/entity/actions/put'
import { QueryCommand } from 'dynamodb-toolbox/table/actions/query'
import { ChatDbError } from '../errors.js'
import { DELIMITER, messagePartition, userHistoryKey, userHistoryShard } from '../keys.js'
import { expiryOf } from '../retention.js'
import { DATA_INDEX } from '../table.js'
import { mapWithConcurrency } from '../util/concurrency.js'
import { assertConnectionId, assertMessageText, assertRoomName, assertUserName } from '../validation.js'
import { conditionHeld } from './conditionalCheck.js'
import { createLargeMembership } from './largeMembership.js'
import { allItems, queryPages } from './pager.js'
import type { RepositoryContext } from './repositoryContext.js'
import { layoutOf, type RoomLayout } from './roomLayout.js'
import { savedMessage } from './savedItems.js'
import type { ChatMessage, PostResult, Subscriber, UserHistory } from './types.js'

const MESSAGE_ID = /^[A-Za-z0-9._:=+/-]{1,128}$/

/**
 * The repository's messages: posting one, a room's recent ones, a user's history.
 *
 * @example
 * const messages = createMessages(createRepositoryContext({ documentClient }))
 * const recent = await messages.recentMessages('general', { limit: 20 })
 */
export function createMessages(context: RepositoryContext) {
  const {
    documentClient,
    table,
    entities,
    now,
    pageSize,
    recentMessagesLimit,
    messageRetentionDays,
    readSnapshot,
    userHistoryShards,
    concurrency,
    layouts,
  } = context
  const { Message } = entities
  const large = createLargeMembership(context)

  return {
    /** The newest `limit` messages of a room, returned oldest first. */
    async recentMessages(roomName: string, { limit = recentMessagesLimit } = {}): Promise<ChatMessage[]> {
      assertRoomName(roomName)
      if (!Number.isInteger(limit) || limit < 1) {
        throw new ChatDbError('validation.option', `limit must be a positive integer (got ${limit})`)
      }
      const newestFirst: ChatMessage[] = []
      const params = table
        .build(QueryCommand)
        .entities(Message)
        .query({ partition: messagePartition(roomName) })
        // Only messages live in this partition; the entity filter would only cost the server time.
        .options({ reverse: true, limit, entityAttrFilter: false })
        .params()
      for await (const { items } of queryPages(documentClient, params)) {
        for (const item of items) if (newestFirst.length < limit) newestFirst.push(savedMessage(item))
        // Enough: the next page would only be read to be thrown away.
        if (newestFirst.length >= limit) break
      }
      return newestFirst.reverse()
    },

    /**
     * Every message of a user, grouped by room (rooms in name order), oldest first in each,
     * through the GSI on the user name. Only Message items count: rooms and connections whose
     * name equals the user's share that GSI partition. With write-sharded history it reads every
     * shard (`userHistoryReadShards` Queries, at most `concurrency` at once) and merges them into
     * the order one partition gives; with one shard it is the single Query it always was.
     */
    async historyOfUser(userName: string, { roomName }: { roomName?: string } = {}): Promise<UserHistory[]> {
      assertUserName(userName)
      const range =
        roomName === undefined ? undefined : { beginsWith: `${assertRoomName(roomName)}${DELIMITER}` }
      const readShard = (shard: number) => {
        const params = table
          .build(QueryCommand)
          .entities(Message)
          .query({ index: DATA_INDEX, partition: userHistoryKey(userName, shard), range })
          .options({ limit: pageSize })
          .params()
        return allItems(queryPages(documentClient, params))
      }
      const shards = Array.from({ length: userHistoryShards.read }, (_, shard) => shard)
      // One shard (the default) is the one Query it always was, with nothing around it.
      const perShard =
        shards.length === 1 ? [await readShard(0)] : await mapWithConcurrency(shards, concurrency, readShard)
      // Each shard is sorted by sk = <room>|<time>|<id>; merged by the same order (DynamoDB
      // compares sort keys as UTF-8 bytes, which JS string order does not always match), each
      // room's messages are consecutive and in time order, as in one partition.
      const items = perShard.length === 1 ? (perShard[0] ?? []) : perShard.flat().sort(bySortKey)
      const groups: UserHistory[] = []
      for (const item of items) {
        const message = savedMessage(item)
        const last = groups.at(-1)
        if (last?.roomName === message.roomName) last.messages.push(message)
        else groups.push({ roomName: message.roomName, messages: [message] })
      }
      return groups
    },

    /**
     * Stores a message from a subscribed connection and returns the broadcast targets.
     * The sender's membership and name come from the same Query as the targets.
     * Pass `id` and `time` from the request to make a retried post idempotent.
     * Requests: Query + PutItem. Throws `access.notSubscribed` (nothing written) otherwise.
     * In a large room (`layout: 'large'`, no `recipients`) the room is not read: membership
     * is one BatchGetItem of the sender's two possible keys, and the broadcast is the caller's
     * to fan out shard by shard. Requests: BatchGetItem + PutItem (a process that has not seen
     * the room large yet reads it once as a small room first). `beforeLargeStore` runs there
     * once the sender's membership is known, before the PutItem: if it throws, nothing is stored
     * (the service publishes the fan-out jobs in it, so a failed publish leaves no copy behind).
     */
    async postMessage(input: {
      roomName: string
      connectionId: string
      message: string
      time?: number
      id?: string
      beforeLargeStore?: (message: ChatMessage, large: { shards: number }) => Promise<void>
    }): Promise<PostResult> {
      const roomName = assertRoomName(input.roomName)
      const connectionId = assertConnectionId(input.connectionId)
      const text = assertMessageText(input.message)
      const id = input.id ?? randomUUID()
      if (!MESSAGE_ID.test(id))
        throw new ChatDbError('validation.option', 'message id must be 1–128 URL-safe characters')
      const time = input.time ?? now()
      // The layout, read once: remembered, or from the room's read (which also gives the sender and targets).
      let layout: RoomLayout | undefined = layouts.remembered(roomName)
      let recipients: Subscriber[] = []
      let senderName: string | undefined
      if (layout === undefined) {
        const snapshot = await readSnapshot(roomName)
        senderName = snapshot.subscribers.find((s) => s.connectionId === connectionId)?.userName
        layout = layouts.remember(roomName, layoutOf(snapshot.state))
        if (layout.kind === 'small') recipients = snapshot.subscribers
      }
      if (layout.kind === 'large' && senderName === undefined) {
        senderName = await large.memberName(roomName, connectionId, layout.shards)
      }
      if (senderName === undefined) {
        throw new ChatDbError('access.notSubscribed', `connection is not subscribed to room "${roomName}"`)
      }
      const message: ChatMessage = {
        roomName,
        time,
        id,
        userName: senderName,
        connectionId,
        message: text,
      }
      if (layout.kind === 'large') await input.beforeLargeStore?.(message, { shards: layout.shards })
      const expiresAt = messageRetentionDays === undefined ? undefined : expiryOf(time, messageRetentionDays)
      const stored = await conditionHeld(
        Message.build(PutItemCommand)
          // The entity saves `userName` as `data`: the user's history key in this message's shard.
          .item({
            ...message,
            userName: userHistoryKey(message.userName, userHistoryShard(id, userHistoryShards.write)),
            expiresAt,
          })
          .options({ condition: { attr: 'id', exists: false } })
          .send(),
      )
      return layout.kind === 'large'
        ? { layout: 'large', shards: layout.shards, message, stored }
        : { layout: 'small', recipients, message, stored }
    },
  }
}

/** DynamoDB's order of string sort keys: by UTF-8 bytes. */
function bySortKey(a: Record<string, unknown>, b: Record<string, unknown>): number {
  return Buffer.compare(Buffer.from(String(a.sk), 'utf8'), Buffer.from(String(b.sk), 'utf8'))
}
