import type { TableStore } from '../repository/tableStore.js'
import { encodeItemLine } from './dynamoJson.js'

export interface ExportResult {
  tableName: string
  items: number
  /** Scan pages read. */
  pages: number
}

/**
 * Writes every item of the table, one `{"Item": ...}` DynamoDB JSON line each (a full Scan, all
 * pages). `writeLine` may return a promise to apply backpressure; `onProgress` gets the items
 * written so far after each page.
 *
 * @example
 * const out = createWriteStream('backup.jsonl')
 * await exportTable(store, (line) => { out.write(`${line}\n`) })
 */
export async function exportTable(
  store: TableStore,
  writeLine: (line: string) => void | Promise<void>,
  { onProgress }: { onProgress?: (items: number) => void } = {},
): Promise<ExportResult> {
  const result: ExportResult = { tableName: store.tableName, items: 0, pages: 0 }
  for await (const page of store.rawPages()) {
    result.pages++
    for (const item of page) {
      await writeLine(encodeItemLine(item))
      result.items++
    }
    // Once a page: a Scan page is the unit of work, and the count the table reports is only an estimate.
    onProgress?.(result.items)
  }
  return result
}
