import type { TableDescription } from '@aws-sdk/client-dynamodb'
import { beforeEach, describe, expect, it } from 'vitest'
import { countItems } from '../../../src/admin/countItems.js'
import { findTable } from '../../../src/admin/tableAdmin.js'
import { seededTable, serializedItems } from '../../support/adminTables.js'
import { useTestTable } from '../../support/dynamo.js'

describe('src/admin/countItems', () => {
  const t = useTestTable()

  beforeEach(() => t.counter.reset())

  describe('countItems', () => {
    it('counts a table whose estimate is 0 with a COUNT Scan, bounded in pages', async () => {
      const { tableName } = await seededTable(t)
      const total = (await serializedItems(t, tableName)).length
      // AWS refreshes ItemCount every few hours: a new table's estimate is 0 (dynalite's always is,
      // DynamoDB Local's is current), so the estimate is set to 0 here, whatever the engine says.
      const table = { ...(await findTable(t.documentClient, tableName)), ItemCount: 0, TableSizeBytes: 0 }
      t.counter.reset()
      expect(await countItems(t.store(tableName), table as TableDescription)).toEqual({
        count: total,
        kind: 'exact',
      })
      expect(t.counter.counts()).toEqual({ Scan: 1 })
      t.counter.reset()
      const bounded = await countItems(t.store(tableName), table as TableDescription, {
        maxPages: 2,
        pageSize: 10,
      })
      expect(bounded).toEqual({ count: 20, kind: 'atLeast' })
      expect(t.counter.counts()).toEqual({ Scan: 2 })
    })

    it("trusts a large table's non-zero estimate and counts a small table whatever its estimate says", async () => {
      const { tableName } = await seededTable(t)
      const total = (await serializedItems(t, tableName)).length
      const table = (await findTable(t.documentClient, tableName)) as TableDescription
      t.counter.reset()
      const large = { ...table, ItemCount: 55_212, TableSizeBytes: 10 * 1024 ** 3 }
      expect(await countItems(t.store(tableName), large)).toEqual({ count: 55_212, kind: 'estimate' })
      expect(t.counter.total()).toBe(0)
      // A stale estimate of a small table: counted, not believed.
      const stale = { ...table, ItemCount: 3, TableSizeBytes: 2_000 }
      expect(await countItems(t.store(tableName), stale)).toEqual({ count: total, kind: 'exact' })
      expect(t.counter.counts()).toEqual({ Scan: 1 })
    })
  })
})
