import { beforeEach, describe, expect, it } from 'vitest'
import { inspectRoom } from '../../../src/admin/inspectRoom.js'
import { hasChatData, seedTable } from '../../../src/admin/seedTable.js'
import { dataset, serializedItems } from '../../support/adminTables.js'
import { createTestTable, useTestTable } from '../../support/dynamo.js'
import { injectUnprocessedItems } from '../../support/faults.js'

describe('src/admin/seedTable', () => {
  const t = useTestTable()

  beforeEach(() => t.counter.reset())

  describe('seedTable', () => {
    it('writes the bundled dataset with 25-item BatchWriteItems and nothing new the second time', async () => {
      const repository = t.repository()
      expect(await hasChatData(t.store())).toBe(false)
      const first = await seedTable(repository, t.store(), dataset)
      expect(first).toEqual({
        rooms: 5,
        users: 8,
        subscriptions: { created: 22, existing: 0 },
        messages: 33,
        batchRequests: 2,
      })
      expect(t.counter.counts().BatchWriteItem).toBe(2)
      const items = await serializedItems(t, t.tableName)
      t.counter.reset()

      const second = await seedTable(repository, t.store(), dataset)
      expect(second.subscriptions).toEqual({ created: 0, existing: 22 })
      // No room transition: the only writes are the subscription puts (refused, they exist) and
      // the same two message batches again.
      const { PutItem, BatchWriteItem, DeleteItem, UpdateItem } = t.counter.counts()
      expect({ PutItem, BatchWriteItem, DeleteItem, UpdateItem }).toEqual({
        PutItem: 22,
        BatchWriteItem: 2,
        DeleteItem: undefined,
        UpdateItem: undefined,
      })
      expect(await serializedItems(t, t.tableName)).toEqual(items)
      expect(items.filter((i) => i.includes('"_et":{"S":"Message"}'))).toHaveLength(33)
      expect(await hasChatData(t.store())).toBe(true)
    })

    it('retries the messages DynamoDB leaves unprocessed', async () => {
      const tableName = await createTestTable(t.documentClient, 'admin')
      const faults = injectUnprocessedItems(t.documentClient, (n, call) => (call === 0 ? n - 1 : 0))
      const result = await seedTable(t.repository({ tableName }), t.store(tableName), dataset, {
        batchWrite: { baseDelayMs: 1 },
      })
      expect(faults.injected()).toBe(24)
      expect(result.batchRequests).toBe(3)
      expect(
        (await inspectRoom(t.repository({ tableName }), 'general', { limit: 100 }))?.messages,
      ).toHaveLength(12)
    })
  })
})
