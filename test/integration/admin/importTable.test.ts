import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { beforeEach, describe, expect, it } from 'vitest'
import { importTable } from '../../../src/admin/importTable.js'
import { rawItems, serializedItems } from '../../support/adminTables.js'
import { createTestTable, useTestTable } from '../../support/dynamo.js'
import { injectUnprocessedItems } from '../../support/faults.js'

/** Replaces `from` by `to` in every serialized request body (after signing's input is built). */
function renameOnTheWire(documentClient: DynamoDBDocumentClient, from: string, to: string) {
  documentClient.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers: Record<string, string>; body?: unknown }
      const text =
        typeof request.body === 'string'
          ? request.body
          : request.body instanceof Uint8Array
            ? Buffer.from(request.body).toString('utf8')
            : undefined
      if (text?.includes(from)) {
        request.body = text.replaceAll(from, to)
        request.headers['content-length'] = String(Buffer.byteLength(request.body as string))
      }
      return next(args)
    },
    { step: 'build', priority: 'low', name: 'renameOnTheWire', override: true },
  )
}

describe('src/admin/importTable', () => {
  const t = useTestTable()

  beforeEach(() => t.counter.reset())

  describe('importTable', () => {
    it('writes nothing when any line is malformed', async () => {
      const target = await createTestTable(t.documentClient, 'import')
      const good = (sk: string) => `{"Item":{"pk":{"S":"a"},"sk":{"S":"${sk}"}}}`
      await expect(importTable(t.store(target), [good('b'), good('c'), '{"Item":{}}'])).rejects.toThrow(
        /line 3/,
      )
      expect(t.counter.writes()).toBe(0)
      expect(await serializedItems(t, target)).toEqual([])
    })

    // The case: 201 well-shaped lines, one DynamoDB refuses; the old import wrote the
    // batches before it (75 items) and then failed with "internal: ValidationException".
    it('checks every line as DynamoDB would before the first write, and names the refused one', async () => {
      const target = await createTestTable(t.documentClient, 'import')
      t.counter.reset()
      const line = (i: number, extra = '') =>
        `{"Item":{"pk":{"S":"Item"},"sk":{"S":"${String(i).padStart(3, '0')}"},"n":{"N":"${i}"}${extra}}}`
      const file = (bad: string) => Array.from({ length: 201 }, (_, i) => (i === 150 ? bad : line(i + 1)))
      const refused = [
        line(151, ',"x":{"N":"abc"}'),
        line(151, ',"x":{"SS":[]}'),
        line(151, ',"x":{"SS":["a","a"]}'),
        line(151, ',"x":{"B":"@@@@"}'),
        line(151, ',"x":{"N":"1E999"}'),
        line(151, `,"x":{"S":"${'x'.repeat(410_000)}"}`),
        line(151, ',"data":{"S":""}'),
        '{"Item":{"pk":{"S":""},"sk":{"S":"151"}}}',
        '{"Item":{"pk":{"S":"Item"},"sk":{"N":"151"}}}',
        // the same key as line 149: in the same 25-item batch, which DynamoDB refuses
        line(149),
      ]
      for (const bad of refused) {
        const error = await importTable(t.store(target), file(bad)).catch((e: unknown) => e)
        expect(error, bad.slice(0, 80)).toMatchObject({ code: 'validation.option' })
        expect((error as Error).message, bad.slice(0, 80)).toMatch(/^line 151: /)
      }
      expect(t.counter.writes()).toBe(0)
      expect(t.counter.counts()).toEqual({ DescribeTable: refused.length })
      expect(await serializedItems(t, target)).toEqual([])
      // a key repeated far apart (two batches: which put wins would be a race) is refused too
      await expect(importTable(t.store(target), file(line(1)))).rejects.toThrow(
        'line 151: same primary key as line 1',
      )
      expect(t.counter.writes()).toBe(0)
    })

    it('keeps an attribute named __proto__, at the top and inside a map', async () => {
      const target = await createTestTable(t.documentClient, 'import')
      // dynalite rebuilds every map from a plain object, which loses a "__proto__" key (DynamoDB
      // does not): the name is renamed on the wire so that dynalite can store what was sent.
      renameOnTheWire(t.documentClient, '"__proto__"', '"proto-on-the-wire"')
      const line =
        '{"Item":{"pk":{"S":"P"},"sk":{"S":"1"},"__proto__":{"S":"top"},"m":{"M":{"__proto__":{"N":"7"}}}}}'
      await importTable(t.store(target), [line]).finally(() =>
        t.documentClient.middlewareStack.remove('renameOnTheWire'),
      )
      const [item] = await rawItems(t, target)
      expect(item?.['proto-on-the-wire']).toEqual({ S: 'top' })
      expect(item?.m?.M?.['proto-on-the-wire']).toEqual({ N: '7' })
    })

    it('names the lines of a batch that fails at write time and how many items were written', async () => {
      const target = await createTestTable(t.documentClient, 'import')
      const lines = Array.from({ length: 60 }, (_, i) => `{"Item":{"pk":{"S":"I"},"sk":{"S":"${i}"}}}`)
      // The first batch lands; the second stays unprocessed on every attempt.
      injectUnprocessedItems(t.documentClient, (n, call) => (call === 0 ? 0 : n))
      const progress: number[] = []
      const error = await importTable(t.store(target), ['', ...lines], {
        batchWrite: { concurrency: 1, maxAttempts: 2, baseDelayMs: 1 },
        onProgress: (written, total) => progress.push(written, total),
      })
        .catch((e: unknown) => e)
        .finally(() => t.documentClient.middlewareStack.remove('injectUnprocessedItems'))
      expect(error).toMatchObject({ code: 'store.importIncomplete' })
      expect((error as Error).message).toMatch(
        /^writing lines 27-51 failed \(ChatDbError.*\); 25 of 60 items were written$/,
      )
      expect(progress).toEqual([25, 60, 25, 60, 25, 60])
      expect(await serializedItems(t, target)).toHaveLength(25)
    })

    it('refuses to import into a missing table before reading the file; a dry run checks against the definition', async () => {
      const missing = `import-missing-${Date.now()}`
      const good = '{"Item":{"pk":{"S":"a"},"sk":{"S":"b"}}}'
      await expect(importTable(t.store(missing), [good])).rejects.toMatchObject({
        code: 'store.tableNotFound',
      })
      expect(await importTable(t.store(missing), [good], { dryRun: true })).toMatchObject({
        items: 1,
        dryRun: true,
      })
      await expect(
        importTable(t.store(missing), ['{"Item":{"pk":{"S":"a"},"sk":{"N":"1"}}}'], {
          dryRun: true,
        }),
      ).rejects.toThrow('line 1: key sk must be of type S, not N')
      expect(t.counter.writes()).toBe(0)
    })
  })
})
