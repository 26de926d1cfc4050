import { describe, expect, it } from 'vitest'
import { ChatDbError } from '../../../src/errors.js'
import { isThrottling, throttleDelay } from '../../../src/migrator/throttling.js'
import { estimateWriteUnits, itemSize, reportedUnits } from '../../../src/migrator/writeCapacity.js'

const put = (item: Record<string, unknown>) => ({ PutRequest: { Item: item } })

describe('writeCapacity', () => {
  describe('itemSize', () => {
    it('counts names and values as DynamoDB does', () => {
      expect(itemSize({ pk: 'Room', sk: 'x' })).toBe(9)
      expect(itemSize({ é: 'é' })).toBe(4)
      expect(itemSize({ n: 12345 })).toBe(1 + 4)
      expect(itemSize({ b: true, z: null })).toBe(4)
      expect(itemSize({ l: ['ab', 1] })).toBe(1 + 3 + 1 + 2 + 1 + 2)
      expect(itemSize({ m: { k: 'v' } })).toBe(1 + 3 + 1 + 1 + 1)
    })
  })

  describe('estimateWriteUnits', () => {
    it('charges 1 WCU per started KB on the table, and again on the GSI for items with data', () => {
      const small = put({ pk: 'Message|r', sk: 'r|t|id', data: 'ada', message: 'hi' })
      const big = put({ pk: 'Message|r', sk: 'r|t|id2', data: 'ada', message: 'x'.repeat(4_096) })
      const unindexed = put({ pk: 'Subscription|r', sk: '#room', message: 'x'.repeat(2_000) })
      expect(estimateWriteUnits([small])).toEqual({ table: 1, index: 1 })
      expect(estimateWriteUnits([big])).toEqual({ table: 5, index: 5 })
      expect(estimateWriteUnits([unindexed])).toEqual({ table: 2, index: 0 })
      expect(estimateWriteUnits([small, big, { DeleteRequest: { Key: { pk: 'a', sk: 'b' } } }])).toEqual({
        table: 7,
        index: 7,
      })
    })
  })

  describe('reportedUnits', () => {
    const items = [put({ pk: 'p', sk: 's', data: 'd' }), put({ pk: 'p', sk: 't', data: 'd' })]
    it('takes the reported total when it itemises the indexes', () => {
      expect(
        reportedUnits(
          {
            TableName: 't',
            CapacityUnits: 7,
            Table: { CapacityUnits: 3 },
            GlobalSecondaryIndexes: { byData: { CapacityUnits: 4 } },
          },
          items,
        ),
      ).toBe(7)
    })
    it('adds the estimated index units to a table-only report, and says nothing without a report', () => {
      expect(reportedUnits({ TableName: 't', CapacityUnits: 2, Table: { CapacityUnits: 2 } }, items)).toBe(4)
      expect(reportedUnits(undefined, items)).toBeUndefined()
    })
  })
})

describe('throttling', () => {
  it('recognises DynamoDB throttling and unprocessed batches, nothing else', () => {
    for (const name of [
      'ProvisionedThroughputExceededException',
      'ThrottlingException',
      'RequestLimitExceeded',
    ])
      expect(isThrottling(Object.assign(new Error('x'), { name }))).toBe(true)
    expect(isThrottling(new ChatDbError('store.unprocessedItems', 'left'))).toBe(true)
    expect(isThrottling(Object.assign(new Error('x'), { name: 'ValidationException' }))).toBe(false)
    expect(isThrottling(new ChatDbError('store.contention', 'x'))).toBe(false)
    expect(isThrottling(undefined)).toBe(false)
  })

  it('backs off exponentially with jitter, capped', () => {
    const options = { baseDelayMs: 100, maxDelayMs: 1_000 }
    expect(throttleDelay(0, options, () => 0)).toBe(50)
    expect(throttleDelay(0, options, () => 1)).toBe(100)
    expect(throttleDelay(2, options, () => 0)).toBe(200)
    expect(throttleDelay(2, options, () => 1)).toBe(400)
    expect(throttleDelay(10, options, () => 1)).toBe(1_000)
    expect(throttleDelay(60, options, () => 0)).toBe(500)
  })
})
