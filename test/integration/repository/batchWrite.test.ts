import { describe, expect, it } from 'vitest'
import { ChatDbError } from '../../../src/errors.js'
import { writeInBatches } from '../../../src/repository/batchWrite.js'
import { useTestTable } from '../../support/dynamo.js'
import { injectUnprocessedItems } from '../../support/faults.js'
import { scanAll } from '../../support/scan.js'

const t = useTestTable()

const puts = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    PutRequest: { Item: { pk: `${prefix}`, sk: String(i).padStart(4, '0') } },
  }))

describe('writeInBatches', () => {
  it('writes in chunks of 25', async () => {
    t.counter.reset()
    const result = await writeInBatches(t.documentClient, t.tableName, puts('plain', 101))
    expect(result).toEqual({ requests: 5, retriedItems: 0 })
    expect(t.counter.counts()).toEqual({ BatchWriteItem: 5 })
    expect((await scanAll(t.documentClient, t.tableName)).filter((i) => i.pk === 'plain')).toHaveLength(101)
  })

  it('gives up with store.unprocessedItems when DynamoDB never takes an item', async () => {
    const faults = injectUnprocessedItems(t.documentClient, () => 1)
    const error = await writeInBatches(t.documentClient, t.tableName, puts('stuck', 3), {
      maxAttempts: 4,
      baseDelayMs: 1,
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ChatDbError)
    expect((error as ChatDbError).code).toBe('store.unprocessedItems')
    // The first attempt writes two of the three; the third is held back on all 4 attempts.
    expect(faults.calls()).toBe(4)
    const stored = (await scanAll(t.documentClient, t.tableName)).filter((i) => i.pk === 'stuck')
    expect(stored).toHaveLength(2)
    injectUnprocessedItems(t.documentClient, () => 0)
  })
})
