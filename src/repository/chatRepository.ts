import { randomBytes, randomUUID } from 'node:crypto'
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { BatchDeleteRequest } from 'dynamodb-toolbox/entity/actions/batchDelete'
import { DeleteItemCommand } from 'dynamodb-toolbox/entity/actions/delete'
import { PutItemCommand } from 'dynamodb-toolbox/entity/actions/put'
import { QueryCommand } from 'dynamodb-toolbox/table/actions/query'
import { createEntities, DEPARTURE_ENTITY } from '../entities/index.js'
import { ChatDbError } from '../errors.js'
import { DELIMITER, messagePartition, ROOM_PARTITION, roomSortKeyPrefix, subscriptionKey } from '../keys.js'
import { expiryOf } from '../retention.js'
import { createTable, DATA_INDEX } from '../table.js'
import { mapWithConcurrency } from '../util/concurrency.js'
import { assertConnectionId, assertMessageText, assertRoomName, assertUserName } from '../validation.js'
import { type BatchWriteOptions, writeInBatches } from './batchWrite.js'
import { allItems, queryPages } from './pager.js'
import { type RoomSnapshot, readRoomSnapshot, type Subscriber } from './roomSnapshot.js'
import { createRoomUpkeep, isConditionalCheckFailure, type RoomTransition } from './roomUpkeep.js'
import { ENTITY_ATTRIBUTE, savedActiveRoom, savedMessage } from './savedItems.js'
import { toChatDbError, translateStoreError } from './storeErrors.js'
import { userNamesOf } from './userNames.js'

export interface ChatRepositoryOptions {
  documentClient: DynamoDBDocumentClient
  /** Table name (default `chat`). */
  tableName?: string
  /** Clock in epoch milliseconds (default `Date.now`). */
  now?: () => number
  /** Recent messages returned when no limit is given (default 50). */
  recentMessagesLimit?: number
  /** Page size for queries that read whole partitions; DynamoDB's 1 MB pages when unset. */
  pageSize?: number
  /** Rooms settled at once when a connection goes (default 8). */
  concurrency?: number
  /**
   * Rooms one connection may be subscribed to (default 100): `limit.roomsPerConnection`.
   * `Infinity` turns the check (and the GSI count it costs) off, as the operator CLI does.
   */
  maxRoomsPerConnection?: number
  /** Subscribers one room may have (default 10,000; every broadcast reads them all): `limit.roomFull`. */
  maxSubscribersPerRoom?: number
  /** Days a new message is kept: sets its `expiresAt` for DynamoDB's TTL (unset: kept for ever). */
  messageRetentionDays?: number
  batchWrite?: BatchWriteOptions
}

export interface ChatMessage {
  roomName: string
  userName: string
  message: string
  /** Epoch milliseconds. */
  time: number
  id: string
  connectionId: string
}

export interface ActiveRoom {
  roomName: string
  createdAt: number
}

export interface SubscribeResult {
  /**
   * False when the connection was already subscribed (the call changed nothing). True when this
   * call wrote the subscription, also when its answer was lost and the SDK's retry found it there.
   */
  subscribed: boolean
  /**
   * The subscription was already there, left by a request that failed after writing it
   * (`markUnfinished`): its announcement is owed. The room's listing was re-applied.
   */
  unfinished: boolean
  /** The user name the subscription holds: the first subscribe binds it. */
  userName: string
  /** Everyone subscribed after the call, the caller included. */
  subscribers: Subscriber[]
  transition: RoomTransition | undefined
}

export interface UnsubscribeResult {
  /**
   * False when the connection was not subscribed, or had already left (a repeat). True when
   * this call left, also when its answer was lost and the SDK's retry found its own departure,
   * and when it finishes a leave whose request failed (`markUnfinished`).
   */
  unsubscribed: boolean
  userName: string | undefined
  /** Everyone still subscribed. */
  subscribers: Subscriber[]
  transition: RoomTransition | undefined
}

export interface PostResult {
  message: ChatMessage
  /** The room's subscribers, sender included: the broadcast targets. */
  recipients: Subscriber[]
  /** False when a message with this id was already stored (a retried request). */
  stored: boolean
}

export interface RemovedSubscription {
  roomName: string
  userName: string
  /** Subscribers left in the room (none known when `error` is set). */
  subscribers: Subscriber[]
  transition: RoomTransition | undefined
  /**
   * Set when the subscription was deleted but the room could not be read or settled after it:
   * its subscribers are unknown, so they cannot be told, and its listing waits for the room's
   * next subscribe or unsubscribe (or `chatdb cleanup rooms`).
   */
  error?: unknown
}

export interface UserHistory {
  roomName: string
  messages: ChatMessage[]
}

const MESSAGE_ID = /^[A-Za-z0-9._:=+/-]{1,128}$/

/**
 * Tells one call's write from another's on the same key: 72 random bits, 12 characters, since
 * every subscription carries one and every room Query reads them all.
 */
const newAttempt = () => randomBytes(9).toString('base64url')

/**
 * The data layer of the chat: every access pattern of the single-table design, one method each.
 *
 * @example
 * const repository = createChatRepository({ documentClient, tableName: 'chat' })
 * await repository.subscribe({ roomName: 'general', connectionId: 'abc=', userName: 'ada' })
 * await repository.postMessage({ roomName: 'general', connectionId: 'abc=', message: 'hello' })
 * const messages = await repository.recentMessages('general', { limit: 20 })
 */
export function createChatRepository(options: ChatRepositoryOptions) {
  const {
    documentClient,
    tableName = 'chat',
    now = Date.now,
    recentMessagesLimit = 50,
    pageSize,
    concurrency = 8,
    maxRoomsPerConnection = 100,
    maxSubscribersPerRoom = 10_000,
    messageRetentionDays,
  } = options
  if (messageRetentionDays !== undefined && !(messageRetentionDays > 0)) {
    throw new ChatDbError(
      'validation.option',
      `messageRetentionDays must be positive (got ${messageRetentionDays})`,
    )
  }
  const table = createTable({ name: tableName, documentClient })
  const entities = createEntities(table)
  const { Room, Subscription, Message } = entities

  const readSnapshot = (roomName: string) => readRoomSnapshot(table, entities, roomName, pageSize)
  const upkeep = createRoomUpkeep({ entities, now, readSnapshot })

  /** How many rooms a connection is in, counted through the GSI (one COUNT Query per 1 MB). */
  async function countRoomsOfConnection(connectionId: string): Promise<number> {
    const params = table
      .build(QueryCommand)
      .entities(Subscription)
      .query({ index: DATA_INDEX, partition: connectionId })
      .options({ select: 'COUNT' })
      .params()
    let count = 0
    for await (const page of queryPages(documentClient, params)) count += page.count
    return count
  }

  /**
   * Settles the room; when a failed request left this subscription unfinished, also re-applies
   * the guard's state to the room records, because that request may have claimed a transition
   * and died before writing its records (the guard then agrees with the room and `settle` alone
   * would see nothing to do). Off the steady-state path: only after a failure.
   */
  async function settleOwing(snapshot: RoomSnapshot, unfinished: boolean) {
    const transition = await upkeep.settle(snapshot)
    if (!transition && unfinished && snapshot.state) await upkeep.apply(snapshot.state)
    return transition
  }

  async function setUnfinished(
    input: { roomName: string; connectionId: string; of: 'subscription' | 'departure' },
    unfinished: boolean,
  ) {
    const entity = input.of === 'subscription' ? Subscription.entityName : DEPARTURE_ENTITY
    try {
      await documentClient.send(
        new UpdateCommand({
          TableName: tableName,
          Key: subscriptionKey(assertRoomName(input.roomName), assertConnectionId(input.connectionId)),
          UpdateExpression: unfinished ? 'SET #unfinished = :true' : 'REMOVE #unfinished',
          // Raw, not toolbox: the item's entity must stay what it is.
          ConditionExpression: '#entity = :entity',
          ExpressionAttributeNames: { '#unfinished': 'unfinished', '#entity': ENTITY_ATTRIBUTE },
          ExpressionAttributeValues: unfinished
            ? { ':true': true, ':entity': entity }
            : { ':entity': entity },
        }),
      )
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error
    }
  }

  const repository = {
    table,
    entities,
    tableName,

    /** Subscribers of a room and its guard, from one consistent Query. */
    async roomSnapshot(roomName: string): Promise<RoomSnapshot> {
      return readSnapshot(assertRoomName(roomName))
    },

    /** Broadcast targets: every connection subscribed to the room, with its user name. */
    async connectionsInRoom(roomName: string): Promise<Subscriber[]> {
      return (await readSnapshot(assertRoomName(roomName))).subscribers
    },

    /** The user name a connection subscribed to a room under, or undefined. */
    async userNameFor(roomName: string, connectionId: string): Promise<string | undefined> {
      const { Item } = await documentClient.send(
        new GetCommand({
          TableName: tableName,
          Key: subscriptionKey(assertRoomName(roomName), assertConnectionId(connectionId)),
          ConsistentRead: true,
        }),
      )
      // A departure keeps the name of a connection that left: not subscribed.
      return Item?.[ENTITY_ATTRIBUTE] === Subscription.entityName ? (Item.userName as string) : undefined
    },

    /** Distinct user names in a room, sorted. */
    async userNamesInRoom(roomName: string): Promise<string[]> {
      const { subscribers } = await readSnapshot(assertRoomName(roomName))
      return userNamesOf(subscribers)
    },

    /** Room names a connection is subscribed to, through the GSI (eventually consistent). */
    async roomsOfConnection(connectionId: string): Promise<{ roomName: string; userName: string }[]> {
      const params = table
        .build(QueryCommand)
        .entities(Subscription)
        .query({ index: DATA_INDEX, partition: assertConnectionId(connectionId) })
        .options({ limit: pageSize })
        .params()
      const items = await allItems(queryPages(documentClient, params))
      return items.map((item) => ({ roomName: item.roomName as string, userName: item.userName as string }))
    },

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
     * name equals the user's share that GSI partition.
     */
    async historyOfUser(userName: string, { roomName }: { roomName?: string } = {}): Promise<UserHistory[]> {
      assertUserName(userName)
      const range =
        roomName === undefined ? undefined : { beginsWith: `${assertRoomName(roomName)}${DELIMITER}` }
      const params = table
        .build(QueryCommand)
        .entities(Message)
        .query({ index: DATA_INDEX, partition: userName, range })
        .options({ limit: pageSize })
        .params()
      // Sorted by sk = <room>|<time>|<id>: each room's messages are consecutive and in time order.
      const groups: UserHistory[] = []
      for (const item of await allItems(queryPages(documentClient, params))) {
        const message = savedMessage(item)
        const last = groups.at(-1)
        if (last?.roomName === message.roomName) last.messages.push(message)
        else groups.push({ roomName: message.roomName, messages: [message] })
      }
      return groups
    },

    /** Rooms with at least one subscriber, in creation order. */
    async activeRooms(): Promise<ActiveRoom[]> {
      const params = table
        .build(QueryCommand)
        .entities(Room)
        .query({ partition: ROOM_PARTITION, range: { beginsWith: roomSortKeyPrefix(true) } })
        .options({ limit: pageSize, entityAttrFilter: false })
        .params()
      return (await allItems(queryPages(documentClient, params))).map(savedActiveRoom)
    },

    /**
     * Subscribes a connection to a room under a user name, creating or reactivating the room.
     * Idempotent: a second call changes nothing and reports `subscribed: false`.
     * Refuses a connection already in `maxRoomsPerConnection` rooms (`limit.roomsPerConnection`,
     * nothing written) and a room of `maxSubscribersPerRoom` (`limit.roomFull`, write undone).
     * Requests: GSI COUNT Query + PutItem + Query (+ up to 3 when the room is created or reactivated).
     */
    async subscribe(input: {
      roomName: string
      connectionId: string
      userName: string
      /** Identifies this call in the item it writes (default: a random id). */
      attempt?: string
    }): Promise<SubscribeResult> {
      const roomName = assertRoomName(input.roomName)
      const connectionId = assertConnectionId(input.connectionId)
      const userName = assertUserName(input.userName)
      const key = { roomName, connectionId }
      // The cap on rooms per connection reads the GSI, which is eventually consistent: a burst of
      // subscribes may pass it by what the index has not seen yet, never by more.
      if (
        Number.isFinite(maxRoomsPerConnection) &&
        (await countRoomsOfConnection(connectionId)) >= maxRoomsPerConnection
      ) {
        const { Item } = await documentClient.send(
          new GetCommand({
            TableName: tableName,
            Key: subscriptionKey(roomName, connectionId),
            ConsistentRead: true,
          }),
        )
        // A departure (the connection left this room) does not hold a place.
        if (Item?.[ENTITY_ATTRIBUTE] !== Subscription.entityName) {
          throw new ChatDbError(
            'limit.roomsPerConnection',
            `a connection may be subscribed to at most ${maxRoomsPerConnection} rooms`,
          )
        }
      }
      const attempt = input.attempt ?? newAttempt()
      let subscribed = true
      try {
        const { ToolboxItem: _, ...params } = Subscription.build(PutItemCommand)
          .item({ ...key, userName, subscribedAt: now(), attempt })
          .options({ condition: { attr: 'connectionId', exists: false } })
          .params()
        // Also over a departure: the connection left the room and comes back.
        await documentClient.send(
          new PutCommand({
            ...params,
            ConditionExpression: `(${params.ConditionExpression}) OR #chatdbEntity = :chatdbDeparture`,
            ExpressionAttributeNames: {
              ...params.ExpressionAttributeNames,
              '#chatdbEntity': ENTITY_ATTRIBUTE,
            },
            ExpressionAttributeValues: {
              ...params.ExpressionAttributeValues,
              ':chatdbDeparture': DEPARTURE_ENTITY,
            },
          }),
        )
      } catch (error) {
        if (!isConditionalCheckFailure(error)) throw error
        subscribed = false
      }
      const snapshot = await readSnapshot(roomName)
      const own = snapshot.subscribers.find((s) => s.connectionId === connectionId)
      // The put landed, its answer was lost, and the SDK's retry failed on our own item: still ours.
      if (!subscribed && own?.attempt === attempt) subscribed = true
      const unfinished = !subscribed && own?.unfinished === true
      if (subscribed && snapshot.subscribers.length > maxSubscribersPerRoom) {
        // Full: take back this subscription (the room keeps its others, so its listing stands).
        await Subscription.build(DeleteItemCommand).key(key).send()
        throw new ChatDbError(
          'limit.roomFull',
          `room "${roomName}" has its maximum of ${maxSubscribersPerRoom} subscribers`,
        )
      }
      const transition = await settleOwing(snapshot, unfinished)
      return {
        subscribed,
        unfinished,
        userName: own?.userName ?? userName,
        subscribers: snapshot.subscribers,
        transition,
      }
    },

    /**
     * Unsubscribes a connection from a room, unlisting the room when it empties. The
     * subscription is not deleted but turned into a departure (same key, `_et: "Departure"`,
     * user name kept), so a retry still knows who left; `removeConnection` deletes departures
     * with the connection's subscriptions, and a subscribe overwrites one.
     * Requests: UpdateItem + Query (+ up to 3 when the room empties).
     */
    async unsubscribe(input: {
      roomName: string
      connectionId: string
      /** Identifies this call in the departure it writes (default: a random id). */
      attempt?: string
    }): Promise<UnsubscribeResult> {
      const roomName = assertRoomName(input.roomName)
      const connectionId = assertConnectionId(input.connectionId)
      const attempt = input.attempt ?? newAttempt()
      let old: Record<string, unknown> | undefined
      try {
        const output = await documentClient.send(
          new UpdateCommand({
            TableName: tableName,
            Key: subscriptionKey(roomName, connectionId),
            UpdateExpression:
              'SET #entity = :departure, #attempt = :attempt, #leftAt = :now REMOVE #unfinished',
            // Only a subscription or a departure: never a key-only item for a stranger.
            ConditionExpression: 'attribute_exists(#userName)',
            ExpressionAttributeNames: {
              '#entity': ENTITY_ATTRIBUTE,
              '#attempt': 'attempt',
              '#leftAt': 'leftAt',
              '#unfinished': 'unfinished',
              '#userName': 'userName',
            },
            ExpressionAttributeValues: { ':departure': DEPARTURE_ENTITY, ':attempt': attempt, ':now': now() },
            ReturnValues: 'ALL_OLD',
          }),
        )
        old = output.Attributes
      } catch (error) {
        if (!isConditionalCheckFailure(error)) throw error
      }
      const wasSubscribed = old?.[ENTITY_ATTRIBUTE] === Subscription.entityName
      const unfinished = old?.unfinished === true
      // Left by this call (its answer lost, the SDK's retry finding its own departure), or by a
      // failed request whose work is owed; otherwise an earlier leave that finished: a repeat.
      const unsubscribed = wasSubscribed || (old !== undefined && (old.attempt === attempt || unfinished))
      const snapshot = await readSnapshot(roomName)
      const transition = await settleOwing(snapshot, unfinished)
      return {
        unsubscribed,
        userName: unsubscribed ? (old?.userName as string) : undefined,
        subscribers: snapshot.subscribers,
        transition,
      }
    },

    /**
     * Stores a message from a subscribed connection and returns the broadcast targets.
     * The sender's membership and name come from the same Query as the targets.
     * Pass `id` and `time` from the request to make a retried post idempotent.
     * Requests: Query + PutItem. Throws `access.notSubscribed` (nothing written) otherwise.
     */
    async postMessage(input: {
      roomName: string
      connectionId: string
      message: string
      time?: number
      id?: string
    }): Promise<PostResult> {
      const roomName = assertRoomName(input.roomName)
      const connectionId = assertConnectionId(input.connectionId)
      const text = assertMessageText(input.message)
      const id = input.id ?? randomUUID()
      if (!MESSAGE_ID.test(id))
        throw new ChatDbError('validation.option', 'message id must be 1–128 URL-safe characters')
      const time = input.time ?? now()
      const { subscribers } = await readSnapshot(roomName)
      const sender = subscribers.find((s) => s.connectionId === connectionId)
      if (!sender) {
        throw new ChatDbError('access.notSubscribed', `connection is not subscribed to room "${roomName}"`)
      }
      const message: ChatMessage = {
        roomName,
        time,
        id,
        userName: sender.userName,
        connectionId,
        message: text,
      }
      const expiresAt = messageRetentionDays === undefined ? undefined : expiryOf(time, messageRetentionDays)
      let stored = true
      try {
        await Message.build(PutItemCommand)
          .item({ ...message, expiresAt })
          .options({ condition: { attr: 'id', exists: false } })
          .send()
      } catch (error) {
        if (!isConditionalCheckFailure(error)) throw error
        stored = false
      }
      return { message, recipients: subscribers, stored }
    },

    /**
     * Removes every subscription of a connection (as `$disconnect` does) and settles each room.
     * Requests: 1 GSI Query + ceil(k/25) BatchWriteItem + 1 Query per room (+ transitions).
     * The GSI is eventually consistent: a subscription written an instant ago may be missed;
     * the broadcaster removes such leftovers when a post answers 410. A room that cannot be
     * read after the delete comes back with `error` set; the others are still settled.
     */
    async removeConnection(connectionId: string): Promise<RemovedSubscription[]> {
      // Subscriptions and departures, in one GSI query: both go with the connection.
      const base = table
        .build(QueryCommand)
        .entities(Subscription)
        .query({ index: DATA_INDEX, partition: assertConnectionId(connectionId) })
        .options({ limit: pageSize, entityAttrFilter: false })
        .params()
      const params = {
        ...base,
        FilterExpression: '#chatdbEntity IN (:chatdbSubscription, :chatdbDeparture)',
        ExpressionAttributeNames: { ...base.ExpressionAttributeNames, '#chatdbEntity': ENTITY_ATTRIBUTE },
        ExpressionAttributeValues: {
          ...base.ExpressionAttributeValues,
          ':chatdbSubscription': Subscription.entityName,
          ':chatdbDeparture': DEPARTURE_ENTITY,
        },
      }
      const rooms = (await allItems(queryPages(documentClient, params))).map((item) => ({
        roomName: item.roomName as string,
        userName: item.userName as string,
        subscribed: item[ENTITY_ATTRIBUTE] === Subscription.entityName,
      }))
      await writeInBatches(
        documentClient,
        tableName,
        rooms.map(({ roomName }) =>
          Subscription.build(BatchDeleteRequest).key({ roomName, connectionId }).params(),
        ),
        options.batchWrite,
      )
      const subscriptions = rooms.filter((r) => r.subscribed)
      // Each room on its own: one room that cannot be read must not cost the others their news.
      return mapWithConcurrency(subscriptions, concurrency, async ({ roomName, userName }) => {
        try {
          const snapshot = await readSnapshot(roomName)
          const transition = await upkeep.settle(snapshot)
          return { roomName, userName, subscribers: snapshot.subscribers, transition }
        } catch (error) {
          return { roomName, userName, subscribers: [], transition: undefined, error: toChatDbError(error) }
        }
      })
    },

    /**
     * Marks the subscription (`of: 'subscription'`) or departure (`of: 'departure'`) of a
     * connection in a room whose subscribe or unsubscribe failed after writing it: the next
     * subscribe or unsubscribe of the connection to the room finishes the work (announces,
     * re-applies the room's listing). Does nothing when there is no such item.
     * Requests: one UpdateItem.
     */
    async markUnfinished(input: {
      roomName: string
      connectionId: string
      of: 'subscription' | 'departure'
    }): Promise<void> {
      await setUnfinished(input, true)
    },

    /** Clears `markUnfinished` on a subscription once its work is done. Requests: one UpdateItem. */
    async markFinished(input: { roomName: string; connectionId: string }): Promise<void> {
      await setUnfinished({ ...input, of: 'subscription' }, false)
    },

    /** Re-reads a room and fixes its listing if it disagrees with its subscribers. */
    async settleRoom(roomName: string): Promise<RoomTransition | undefined> {
      return upkeep.settle(await readSnapshot(assertRoomName(roomName)))
    },
  }
  return translateStoreError(repository, { tableName })
}

export type ChatRepository = ReturnType<typeof createChatRepository>
