import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { DeleteItemCommand } from 'dynamodb-toolbox/entity/actions/delete'
import { PutItemCommand } from 'dynamodb-toolbox/entity/actions/put'
import { describe, expect, it } from 'vitest'
import {
  createEntities,
  createPresenceOutboxEntity,
  createSubscriberCountEntity,
} from '../../src/entities/index.js'
import { createMigrationLedgerEntity } from '../../src/entities/migrationLedger.js'
import { createMigrationLockEntity } from '../../src/entities/migrationLock.js'
import {
  BASE_SUBSCRIPTION_SHARD,
  presenceOutboxKey,
  roomKey,
  roomListingPartition,
  shardSubscriptionKey,
  subscriberCountKey,
  subscriptionKey,
  subscriptionShardPartition,
} from '../../src/keys.js'
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

    it("addresses the items kept apart from a room's own keys: shards, misplaced records, outbox, counters, the migrator", () => {
      const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'local' }))
      const table = createTable({ name: 'chat', documentClient })
      const { Room, Subscription, Departure } = createEntities(table, { roomListingShards: 4 })
      const keyOf = (params: { Key?: Record<string, unknown> }) => params.Key
      const member = { roomName: 'r', connectionId: 'c' }
      expect(keyOf(Subscription.build(DeleteItemCommand).key(member).params())).toStrictEqual(
        subscriptionKey('r', 'c'),
      )
      const inShard = { ...member, partition: subscriptionShardPartition('r', 3) }
      expect(keyOf(Departure.build(DeleteItemCommand).key(inShard).params())).toStrictEqual(
        shardSubscriptionKey('r', 'c', 3),
      )
      const record = { roomName: 'r', active: true, createdAt: 0 }
      expect(keyOf(Room.build(DeleteItemCommand).key(record).params())).toStrictEqual(roomKey(record, 4))
      expect(
        keyOf(
          Room.build(DeleteItemCommand)
            .key({ ...record, partition: roomListingPartition(2) })
            .params(),
        ),
      ).toStrictEqual({ ...roomKey(record, 4), pk: 'Room|2' })
      expect(
        keyOf(createPresenceOutboxEntity(table).build(DeleteItemCommand).key({ roomName: 'r' }).params()),
      ).toStrictEqual(presenceOutboxKey('r'))
      const counter = createSubscriberCountEntity(table)
      for (const shard of [BASE_SUBSCRIPTION_SHARD, 0, 7])
        expect(
          keyOf(
            counter
              .build(DeleteItemCommand)
              .key({ partition: subscriptionShardPartition('r', shard) })
              .params(),
          ),
        ).toStrictEqual(subscriberCountKey('r', shard))
      expect(
        keyOf(createMigrationLedgerEntity(table).build(DeleteItemCommand).key({ version: 42 }).params()),
      ).toStrictEqual({ pk: 'Migration', sk: 'version|000042' })
      expect(keyOf(createMigrationLockEntity(table).build(DeleteItemCommand).key({}).params())).toStrictEqual(
        {
          pk: 'Migration',
          sk: '#lock',
        },
      )
    })

    it('writes the items the raw requests wrote: no attribute for a key part, the entity in `_et`', () => {
      const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'local' }))
      const table = createTable({ name: 'chat', documentClient })
      const { Subscription } = createEntities(table)
      const member = { roomName: 'r', connectionId: 'c', userName: 'u', subscribedAt: 1 }
      expect(Subscription.build(PutItemCommand).item(member).params().Item).toStrictEqual({
        ...subscriptionKey('r', 'c'),
        data: 'c',
        roomName: 'r',
        userName: 'u',
        subscribedAt: 1,
        _et: 'Subscription',
      })
      const outbox = createPresenceOutboxEntity(table)
      expect(
        outbox
          .build(PutItemCommand)
          .item({ roomName: 'r', leavers: new Set(['u']), holder: 'h', since: 1 })
          .params().Item,
      ).toStrictEqual({
        ...presenceOutboxKey('r'),
        leavers: new Set(['u']),
        holder: 'h',
        since: 1,
        _et: 'PresenceOutbox',
      })
      const counter = createSubscriberCountEntity(table)
      expect(
        counter
          .build(PutItemCommand)
          .item({ partition: subscriptionShardPartition('r', 2), n: 5 })
          .params().Item,
      ).toStrictEqual({ ...subscriberCountKey('r', 2), n: 5, _et: 'SubscriberCount' })
    })
  })
})
