import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { describe, expect, it } from 'vitest'
import { createEntities } from '../../src/entities/index.js'
import { createTable, DATA_INDEX, tableDefinition } from '../../src/table.js'

describe('table', () => {
  describe('tableDefinition', () => {
    it('defines pk/sk and the data+sk GSI projecting every attribute', () => {
      const definition = tableDefinition('chat')
      expect(definition.TableName).toBe('chat')
      expect(definition.KeySchema).toEqual([
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ])
      expect(definition.GlobalSecondaryIndexes).toEqual([
        {
          IndexName: DATA_INDEX,
          KeySchema: [
            { AttributeName: 'data', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ])
      expect(definition.AttributeDefinitions?.map((a) => a.AttributeName).sort()).toEqual([
        'data',
        'pk',
        'sk',
      ])
    })

    it('is pure: two calls give equal, independent objects', () => {
      const a = tableDefinition('x')
      const b = tableDefinition('x')
      expect(a).toEqual(b)
      expect(a).not.toBe(b)
      expect(a.KeySchema).not.toBe(b.KeySchema)
    })
  })

  describe('createTable', () => {
    it('agrees with tableDefinition on every key attribute', () => {
      const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'local' }))
      const table = createTable({ name: 'chat', documentClient })
      const definition = tableDefinition('chat')
      const gsi = definition.GlobalSecondaryIndexes?.[0]
      expect(table.getName()).toBe('chat')
      expect(table.partitionKey.name).toBe(definition.KeySchema?.[0]?.AttributeName)
      expect(table.sortKey?.name).toBe(definition.KeySchema?.[1]?.AttributeName)
      expect(table.indexes[DATA_INDEX].partitionKey.name).toBe(gsi?.KeySchema?.[0]?.AttributeName)
      expect(table.indexes[DATA_INDEX].sortKey.name).toBe(gsi?.KeySchema?.[1]?.AttributeName)
    })

    it('builds every key through src/keys.ts', () => {
      const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'local' }))
      const { Room, RoomState, Subscription, Message } = createEntities(
        createTable({ name: 'chat', documentClient }),
      )
      expect(Room.computeKey?.({ roomName: 'r', active: false, createdAt: 0 })).toEqual({
        pk: 'Room',
        sk: 'false|1970-01-01T00:00:00.000Z|r',
      })
      expect(RoomState.computeKey?.({ roomName: 'r' })).toEqual({ pk: 'Subscription|r', sk: '#room' })
      expect(Subscription.computeKey?.({ roomName: 'r', connectionId: 'c' })).toEqual({
        pk: 'Subscription|r',
        sk: 'r|c',
      })
      expect(Message.computeKey?.({ roomName: 'r', time: 0, id: 'i' })).toEqual({
        pk: 'Message|r',
        sk: 'r|1970-01-01T00:00:00.000Z|i',
      })
    })
  })
})
