import { GetCommand } from '@aws-sdk/lib-dynamodb'
import { QueryCommand } from 'dynamodb-toolbox/table/actions/query'
import { ROOM_PARTITION, roomSortKeyPrefix, subscriptionKey } from '../keys.js'
import { assertConnectionId, assertRoomName } from '../validation.js'
import { allItems, queryPages } from './pager.js'
import type { RepositoryContext } from './repositoryContext.js'
import { ENTITY_ATTRIBUTE, savedActiveRoom } from './savedItems.js'
import type { ActiveRoom, RoomSnapshot, RoomTransition, Subscriber } from './types.js'
import { userNamesOf } from './userNames.js'

/**
 * The repository's reads of rooms (who is in one, under which name, which rooms are listed)
 * and the operator's settle of one room.
 *
 * @example
 * const rooms = createRoomQueries(createRepositoryContext({ documentClient }))
 * const targets = await rooms.connectionsInRoom('general')
 */
export function createRoomQueries(context: RepositoryContext) {
  const { documentClient, tableName, table, entities, pageSize, readSnapshot, upkeep } = context
  const { Room, Subscription } = entities

  return {
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

    /** Re-reads a room and fixes its listing if it disagrees with its subscribers. */
    async settleRoom(roomName: string): Promise<RoomTransition | undefined> {
      return upkeep.settle(await readSnapshot(assertRoomName(roomName)))
    },
  }
}
