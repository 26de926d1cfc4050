import { GetCommand } from '@aws-sdk/lib-dynamodb'
import { GetItemCommand } from 'dynamodb-toolbox/entity/actions/get'
import { describe, expect, it } from 'vitest'
import { messageKey, roomKey, roomStateKey, subscriptionKey } from '../../../src/keys.js'
import {
  savedActiveRoom,
  savedMessage,
  savedRoomState,
  savedSubscriber,
} from '../../../src/repository/savedItems.js'
import { useTestTable } from '../../support/dynamo.js'

const t = useTestTable()

/** The hand mappers must read exactly what toolbox's formatter reads from the same saved item. */
describe('savedItems', () => {
  it('maps every entity as the toolbox formatter does', async () => {
    const repo = t.repository({ now: () => 1_800_000_000_000 })
    const { Room, RoomState, Subscription, Message } = t.store().entities
    await repo.subscribe({ roomName: 'drift', connectionId: 'conn-1', userName: 'ada' })
    const { message } = await repo.postMessage({
      roomName: 'drift',
      connectionId: 'conn-1',
      message: 'hi',
      id: 'm-1',
    })
    const raw = async (key: { pk: string; sk: string }) =>
      (await t.documentClient.send(new GetCommand({ TableName: t.tableName, Key: key }))).Item ?? {}

    const sub = await Subscription.build(GetItemCommand)
      .key({ roomName: 'drift', connectionId: 'conn-1' })
      .send()
    // The room and the partition are the item's key: a Subscriber carries neither.
    const { roomName: _r, partition: _p, ...subscriber } = sub.Item ?? {}
    expect(savedSubscriber(await raw(subscriptionKey('drift', 'conn-1')))).toEqual(subscriber)

    const state = await RoomState.build(GetItemCommand).key({ roomName: 'drift' }).send()
    expect(savedRoomState(await raw(roomStateKey('drift')))).toEqual(state.Item)

    const stored = await Message.build(GetItemCommand).key(message).send()
    expect(savedMessage(await raw(messageKey(message)))).toEqual(stored.Item)

    const room = { roomName: 'drift', active: true, createdAt: 1_800_000_000_000 }
    const record = await Room.build(GetItemCommand).key(room).send()
    expect(savedActiveRoom(await raw(roomKey(room)))).toEqual({
      roomName: record.Item?.roomName,
      createdAt: record.Item?.createdAt,
    })
  })
})
