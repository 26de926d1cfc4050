import { ChatDbError } from '../errors.js'
import {
  BATCH_WRITE_LIMIT,
  type BatchWriteOptions,
  type BatchWriteResult,
  writeBatch,
} from '../repository/batchWrite.js'
import type { TableStore } from '../repository/tableStore.js'
import { tableDefinition } from '../table.js'
import { chunk, mapWithConcurrency } from '../util/concurrency.js'
import { decodeItemLine, type RawItem } from './dynamoJson.js'
import { checkImportItem, keyAttributesOf } from './importCheck.js'

export interface ImportResult {
  tableName: string
  items: number
  /** BatchWriteItem requests sent, retries included. */
  requests: number
  dryRun: boolean
}

export interface ImportOptions {
  /** Check the file (against the table, or `tableDefinition` when it does not exist yet), write nothing. */
  dryRun?: boolean
  batchWrite?: Omit<BatchWriteOptions, 'onProgress'>
  /** Called as batches land: items written so far, of `total`. */
  onProgress?: (written: number, total: number) => void
}

interface LineItem {
  item: RawItem
  line: number
}

/**
 * Restores an export, all or nothing as far as DynamoDB's rules go: every line is first checked
 * the way DynamoDB would check it (attribute values, key types and lengths against the target
 * table and its indexes, 400 KB, a primary key twice in the file), so a bad file writes nothing
 * and the error names the line. Then puts the items with BatchWriteItem, 25 a chunk, in
 * parallel, unprocessed items retried. A failure only the server knows (throttling that never
 * ends, a lost connection) throws `store.importIncomplete` with the lines of the failed batch
 * and how many items were written; running the import again finishes it (puts are idempotent).
 *
 * Items travel as raw DynamoDB JSON (not through the document client's marshalling): numbers
 * keep their exact text and an attribute named `__proto__` is not lost on the way.
 *
 * @example
 * await importTable(store, readFileSync('backup.jsonl', 'utf8').split('\n'))
 */
export async function importTable(
  store: TableStore,
  lines: Iterable<string> | AsyncIterable<string>,
  { dryRun = false, batchWrite = {}, onProgress }: ImportOptions = {},
): Promise<ImportResult> {
  // Taken before the first await: a readline interface emits lines from the moment it is created,
  // and those emitted before anyone iterates are lost (and its end with them).
  const source: AsyncIterator<string> | Iterator<string> =
    Symbol.asyncIterator in lines ? lines[Symbol.asyncIterator]() : lines[Symbol.iterator]()
  const { tableName } = store
  const table = await store.describe().catch(async (error: unknown) => {
    await source.return?.()
    throw error
  })
  if (!table && !dryRun) {
    await source.return?.()
    throw new ChatDbError('store.tableNotFound', `table "${tableName}" does not exist`)
  }
  const keys = keyAttributesOf(table ?? tableDefinition(tableName))

  const items: LineItem[] = []
  // Two puts of one key in a 25-item batch are refused; in two batches running side by side,
  // which one wins is a race. Either way the file is ambiguous: refuse it.
  const lineOfKey = new Map<string, number>()
  let lineNumber = 0
  for await (const line of { [Symbol.asyncIterator]: () => toAsync(source) }) {
    lineNumber++
    if (line.trim() === '') continue
    const item = decodeItemLine(line, lineNumber)
    const key = checkImportItem(item, keys, lineNumber)
    const earlier = lineOfKey.get(key)
    if (earlier !== undefined) {
      throw new ChatDbError(
        'validation.option',
        `line ${lineNumber}: same primary key as line ${earlier} (${keyText(item, keys)})`,
      )
    }
    lineOfKey.set(key, lineNumber)
    items.push({ item, line: lineNumber })
  }
  if (dryRun) return { tableName, items: items.length, requests: 0, dryRun }

  const result: BatchWriteResult = { requests: 0, retriedItems: 0 }
  let written = 0
  const options: BatchWriteOptions = {
    ...batchWrite,
    onProgress: (landed) => {
      written += landed
      onProgress?.(written, items.length)
    },
  }
  let failed: { batch: LineItem[]; error: unknown } | undefined
  try {
    await mapWithConcurrency(chunk(items, BATCH_WRITE_LIMIT), batchWrite.concurrency ?? 4, (batch) =>
      writeBatch(
        batch.map(({ item }) => ({ PutRequest: { Item: item } })),
        store.writeRawBatch,
        options,
        result,
      ).catch((error: unknown) => {
        failed ??= { batch, error }
        throw error
      }),
    )
  } catch (error) {
    const { batch, error: cause } = failed ?? { batch: [], error }
    const lines = batch.length ? `lines ${batch[0]?.line}-${batch.at(-1)?.line}` : 'a batch'
    throw new ChatDbError(
      'store.importIncomplete',
      `writing ${lines} failed (${describe(cause)}); ${written} of ${items.length} items were written`,
      { cause },
    )
  }
  return { tableName, items: items.length, requests: result.requests, dryRun }
}

function toAsync(iterator: AsyncIterator<string> | Iterator<string>): AsyncIterator<string> {
  return {
    next: async () => iterator.next(),
    return: async () => (await iterator.return?.()) ?? { done: true, value: undefined },
  }
}

function keyText(item: RawItem, keys: ReturnType<typeof keyAttributesOf>): string {
  return keys
    .filter((k) => !k.index)
    .map((k) => {
      const value = item[k.name]
      return `${k.name}=${value?.B ? Buffer.from(value.B).toString('base64') : JSON.stringify(value?.S ?? value?.N)}`
    })
    .join(', ')
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const code = (error as { code?: unknown }).code
  return `${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message}`
}
