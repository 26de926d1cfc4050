import { describe, expect, it } from 'vitest'
import {
  CHATDB_SCHEMA,
  createRequestDescriber,
  partitionOfKeyCondition,
} from '../../../bench/requestRecords.js'

const { describe: describeRequest, describeFailure } = createRequestDescriber({ keySchema: CHATDB_SCHEMA })
const S = (value: string) => ({ S: value })

describe('requestRecords', () => {
  describe('partitionOfKeyCondition', () => {
    it("reads the partition value from toolbox's expressions and from plain ones", () => {
      const toolbox = {
        KeyConditionExpression: '(#c0_1 = :c0_1) AND (begins_with(#c0_2, :c0_2))',
        ExpressionAttributeNames: { '#c0_1': 'pk', '#c0_2': 'sk' },
        ExpressionAttributeValues: { ':c0_1': S('Room'), ':c0_2': S('true|') },
      }
      expect(partitionOfKeyCondition(toolbox, 'pk')).toBe('Room')
      const plain = { KeyConditionExpression: 'data = :d', ExpressionAttributeValues: { ':d': S('guest') } }
      expect(partitionOfKeyCondition(plain, 'data')).toBe('guest')
      expect(partitionOfKeyCondition(plain, 'pk')).toBeUndefined()
    })
  })

  describe('describe', () => {
    it('leaves unprocessed batch items out and shares the reported delete capacity among the deletes', () => {
      const put = { PutRequest: { Item: { pk: S('Message|r'), sk: S('1'), data: S('ada') } } }
      const gone = { DeleteRequest: { Key: { pk: S('Subscription|r'), sk: S('r|conn-1') } } }
      const skipped = { DeleteRequest: { Key: { pk: S('Subscription|r'), sk: S('r|conn-2') } } }
      const record = describeRequest(
        'BatchWriteItem',
        { RequestItems: { chat: [put, gone, skipped] } },
        {
          UnprocessedItems: { chat: [skipped] },
          ConsumedCapacity: [{ TableName: 'chat', CapacityUnits: 3 }],
        },
      )
      expect(record?.items).toBe(2)
      expect(record?.keys.map((k) => [k.index ?? 'table', k.key, k.wcu])).toEqual([
        ['table', 'Message|r', 1],
        ['byData', 'ada', 1],
        ['table', 'Subscription|r', 2],
        ['byData', 'conn-1', 2],
      ])
    })

    it('marks a Scan as touching no one key', () => {
      const record = describeRequest(
        'Scan',
        { TableName: 'chat' },
        { Items: [], ScannedCount: 7, ConsumedCapacity: { TableName: 'chat', CapacityUnits: 2.5 } },
      )
      expect(record).toMatchObject({ scan: true, keys: [], items: 7, rcu: 2.5 })
    })

    it('passes operations it does not measure', () => {
      expect(describeRequest('CreateTable', { TableName: 'chat' }, {})).toBeUndefined()
      expect(describeFailure('DescribeTable', { TableName: 'chat' }, new Error('x'))).toBeUndefined()
    })
  })

  describe('describeFailure', () => {
    it('charges a failed conditional write and nothing for a throttled attempt', () => {
      const Item = { pk: S('Room'), sk: S('x'), pad: S('y'.repeat(1_500)) }
      const conditional = Object.assign(new Error('failed'), { name: 'ConditionalCheckFailedException' })
      const throttled = Object.assign(new Error('slow down'), { name: 'ThrottlingException' })
      expect(describeFailure('PutItem', { TableName: 'chat', Item }, conditional)).toMatchObject({
        wcu: 2,
        keys: [{ key: 'Room', wcu: 2 }],
      })
      expect(describeFailure('PutItem', { TableName: 'chat', Item }, throttled)).toMatchObject({
        wcu: 0,
        keys: [],
        error: 'ThrottlingException',
      })
    })
  })
})
