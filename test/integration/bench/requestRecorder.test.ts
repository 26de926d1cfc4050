import { BatchWriteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { describe, expect, it } from 'vitest'
import { itemSize, readUnits, writeUnits } from '../../../bench/capacity.js'
import { recordRequests } from '../../../bench/requestRecorder.js'
import { messagePartition, subscriptionKey } from '../../../src/keys.js'
import { DATA_INDEX } from '../../../src/table.js'
import { newDocumentClient, useTestTable } from '../../support/dynamo.js'

const t = useTestTable()

/** An item of exactly `bytes` bytes as DynamoDB sizes it (pk, sk and a padding string). */
function itemOf(pk: string, sk: string, bytes: number) {
  const fixed = itemSize({ pk: { S: pk }, sk: { S: sk }, pad: { S: '' } })
  return { pk, sk, pad: 'x'.repeat(bytes - fixed) }
}

describe('recordRequests', () => {
  it('records a Query of N items of known size with the RCU DynamoDB charges and its partition key', async () => {
    const client = newDocumentClient()
    const recorder = recordRequests(client)
    const items = Array.from({ length: 10 }, (_, i) => itemOf('sized', `item-${i}`, 1_000))
    await client.send(
      new BatchWriteCommand({
        RequestItems: { [t.tableName]: items.map((Item) => ({ PutRequest: { Item } })) },
      }),
    )
    recorder.reset()
    await client.send(
      new QueryCommand({
        TableName: t.tableName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': 'pk' },
        ExpressionAttributeValues: { ':pk': 'sized' },
        ConsistentRead: true,
      }),
    )
    const [query] = recorder.records()
    // 10 × 1,000 bytes = 10,000 bytes: 3 RCU consistent (1 per 4 KB, rounded up).
    expect(query).toMatchObject({ operation: 'Query', items: 10, rcu: 3, wcu: 0 })
    expect(query?.keys).toEqual([{ index: undefined, key: 'sized', items: 10, rcu: 3, wcu: 0 }])
    expect(readUnits(10_000, { consistent: true })).toBe(3)
    client.destroy()
  })

  it('records a message PutItem on its base key and on its GSI key data = <user>', async () => {
    const client = newDocumentClient()
    const recorder = recordRequests(client)
    const message = 'm'.repeat(1_500)
    await t.repository({ documentClient: client }).subscribe({
      roomName: 'sized-room',
      connectionId: 'conn-1',
      userName: 'guest',
    })
    recorder.reset()
    await t.repository({ documentClient: client }).postMessage({
      roomName: 'sized-room',
      connectionId: 'conn-1',
      message,
    })
    const put = recorder.records().find((r) => r.operation === 'PutItem')
    expect(put).toBeDefined()
    const base = put?.keys.find((k) => k.index === undefined)
    const gsi = put?.keys.find((k) => k.index === DATA_INDEX)
    expect(base?.key).toBe(messagePartition('sized-room'))
    expect(gsi?.key).toBe('guest')
    // A 1.5 KB message is a 2 WCU write, paid again on the index.
    expect(base?.wcu).toBe(2)
    expect(gsi?.wcu).toBe(2)
    expect(put?.wcu).toBe(4)
    client.destroy()
  })

  it('charges both GSI keys when a write moves an item to another data value, and keeps callers output', async () => {
    const client = newDocumentClient()
    const recorder = recordRequests(client)
    const Item = { pk: 'moving', sk: 'one', data: 'alice' }
    await client.send(new PutCommand({ TableName: t.tableName, Item }))
    recorder.reset()
    const output = await client.send(
      new PutCommand({ TableName: t.tableName, Item: { ...Item, data: 'bob' } }),
    )
    expect(output.Attributes).toBeUndefined()
    expect(output.ConsumedCapacity).toBeUndefined()
    const [put] = recorder.records()
    expect(put?.keys.map((k) => [k.index ?? 'table', k.key, k.wcu])).toEqual([
      ['table', 'moving', 1],
      [DATA_INDEX, 'alice', 1],
      [DATA_INDEX, 'bob', 1],
    ])
    const updated = await client.send(
      new UpdateCommand({
        TableName: t.tableName,
        Key: { pk: 'moving', sk: 'one' },
        UpdateExpression: 'SET n = :n',
        ExpressionAttributeValues: { ':n': 1 },
      }),
    )
    expect(updated.Attributes).toBeUndefined()
    expect(recorder.records()[1]?.keys.map((k) => k.key)).toEqual(['moving', 'bob'])
    client.destroy()
  })

  it('records batch deletes per item with their inferred GSI keys, and a GetItem by key', async () => {
    const client = newDocumentClient()
    const recorder = recordRequests(client)
    const key = subscriptionKey('batch-room', 'conn-9')
    await client.send(new PutCommand({ TableName: t.tableName, Item: { ...key, data: 'conn-9' } }))
    await client.send(new GetCommand({ TableName: t.tableName, Key: key }))
    await client.send(
      new BatchWriteCommand({ RequestItems: { [t.tableName]: [{ DeleteRequest: { Key: key } }] } }),
    )
    const [, get, batch] = recorder.records()
    expect(get).toMatchObject({ operation: 'GetItem', items: 1, rcu: 0.5 })
    expect(get?.keys[0]?.key).toBe(key.pk)
    expect(batch?.keys.map((k) => [k.index ?? 'table', k.key])).toEqual([
      ['table', key.pk],
      [DATA_INDEX, 'conn-9'],
    ])
    expect(writeUnits(0)).toBe(1)
    client.destroy()
  })

  it('tags the records made inside tagged() and counts a failed conditional write', async () => {
    const client = newDocumentClient()
    const recorder = recordRequests<{ at: number }>(client)
    const Item = { pk: 'tagged', sk: 'one' }
    await recorder.tagged({ at: 5 }, () => client.send(new PutCommand({ TableName: t.tableName, Item })))
    await recorder
      .tagged({ at: 6 }, () =>
        client.send(
          new PutCommand({ TableName: t.tableName, Item, ConditionExpression: 'attribute_not_exists(pk)' }),
        ),
      )
      .catch(() => undefined)
    const [first, second] = recorder.records()
    expect(first?.tag).toEqual({ at: 5 })
    expect(second).toMatchObject({ tag: { at: 6 }, error: 'ConditionalCheckFailedException', wcu: 1 })
    client.destroy()
  })
})
