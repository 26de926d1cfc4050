import { PutItemCommand as PutItemCommandOfToolbox } from 'dynamodb-toolbox/entity/actions/put'
import { beforeEach, describe, expect, it } from 'vitest'
import { seedHistory } from '../../../src/admin/seedHistory.js'
import { dataset, serializedItems } from '../../support/adminTables.js'
import { createTestTable, useTestTable } from '../../support/dynamo.js'

describe('src/admin/seedHistory', () => {
  const t = useTestTable()

  beforeEach(() => t.counter.reset())

  describe('seedHistory', () => {
    it('writes only the missing messages, no subscriptions, and never rewrites a message that is there', async () => {
      const tableName = await createTestTable(t.documentClient, 'history')
      const store = t.store(tableName)
      // Stopped after its first batch: 25 of 33 written.
      const stop = new Error('stop')
      await expect(
        seedHistory(store, dataset, {
          beforeBatch: ({ written }) => {
            if (written > 0) throw stop
          },
        }),
      ).rejects.toBe(stop)
      const messageKeys = (items: string[]) => items.filter((i) => i.includes('"_et":{"S":"Message"}'))
      expect(messageKeys(await serializedItems(t, tableName))).toHaveLength(25)
      // A message changed since (as a migration would): it must stay as it is.
      const first = dataset.messages[0] as (typeof dataset.messages)[number]
      const changed = { ...first, connectionId: 'changed=', expiresAt: 1 }
      await store.entities.Message.build(PutItemCommandOfToolbox).item(changed).send()
      t.counter.reset()

      expect(await seedHistory(store, dataset)).toEqual({
        messages: 33,
        written: 8,
        present: 25,
      })
      // One BatchGetItem for the 33 keys, one BatchWriteItem for the 8 missing.
      expect(t.counter.counts()).toMatchObject({ BatchGetItem: 1, BatchWriteItem: 1 })
      const items = await serializedItems(t, tableName)
      expect(messageKeys(items)).toHaveLength(33)
      expect(items.filter((i) => i.includes('"connectionId":{"S":"changed="}'))).toHaveLength(1)
      // The history only: no room, no subscription.
      expect(items).toHaveLength(33)
      expect(await seedHistory(store, dataset)).toMatchObject({
        written: 0,
        present: 33,
      })
    })
  })
})
