import { PutItemCommand } from '@aws-sdk/client-dynamodb'
import { beforeEach, describe, expect, it } from 'vitest'
import type { RawItem } from '../../../src/admin/dynamoJson.js'
import { exportTable } from '../../../src/admin/exportTable.js'
import { importTable } from '../../../src/admin/importTable.js'
import { seedTable } from '../../../src/admin/seedTable.js'
import { dataset, serializedItems } from '../../support/adminTables.js'
import { createTestTable, useTestTable } from '../../support/dynamo.js'
import { injectUnprocessedItems } from '../../support/faults.js'

describe('src/admin/exportTable', () => {
  const t = useTestTable()

  beforeEach(() => t.counter.reset())

  describe('exportTable', () => {
    it('round-trips every attribute type exactly, retrying unprocessed items', async () => {
      const source = await createTestTable(t.documentClient, 'export')
      const odd: RawItem = {
        pk: { S: 'Odd' },
        sk: { S: 'all types' },
        n: { N: '1.10' },
        big: { N: '123456789012345678901234567890' },
        b: { B: new Uint8Array([0, 255]) },
        ss: { SS: ['a', 'b'] },
        ns: { NS: ['1', '2.5'] },
        bs: { BS: [new Uint8Array([1])] },
        m: { M: { l: { L: [{ NULL: true }, { BOOL: true }, { S: '' }] } } },
      }
      await t.documentClient.send(new PutItemCommand({ TableName: source, Item: odd }))
      await seedTable(t.repository({ tableName: source }), t.store(source), dataset)
      const lines: string[] = []
      const exported = await exportTable(t.store(source), (line) => {
        lines.push(line)
      })
      expect(exported.items).toBe(lines.length)

      const target = await createTestTable(t.documentClient, 'import')
      const faults = injectUnprocessedItems(t.documentClient, (_n, call) => (call === 1 ? 5 : 0))
      const imported = await importTable(t.store(target), lines, { batchWrite: { baseDelayMs: 1 } })
      expect(faults.injected()).toBe(5)
      expect(imported).toMatchObject({ items: lines.length, requests: Math.ceil(lines.length / 25) + 1 })
      expect(await serializedItems(t, target)).toEqual(await serializedItems(t, source))
    })

    it('reports progress: items written of the total on import, items read on export', async () => {
      const target = await createTestTable(t.documentClient, 'import')
      const lines = Array.from({ length: 60 }, (_, i) => `{"Item":{"pk":{"S":"I"},"sk":{"S":"${i}"}}}`)
      const imported: [number, number][] = []
      await importTable(t.store(target), lines, {
        batchWrite: { concurrency: 1 },
        onProgress: (written, total) => imported.push([written, total]),
      })
      expect(imported).toEqual([
        [25, 60],
        [50, 60],
        [60, 60],
      ])
      const exported: number[] = []
      const result = await exportTable(t.store(target), () => {}, {
        onProgress: (items) => exported.push(items),
      })
      expect(result.items).toBe(60)
      expect(exported.at(-1)).toBe(60)
      expect(exported).toEqual([...exported].sort((a, b) => a - b))
    })
  })
})
