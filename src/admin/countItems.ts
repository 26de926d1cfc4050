import type { TableDescription } from '@aws-sdk/client-dynamodb'
import type { TableStore } from '../repository/tableStore.js'

/**
 * How many items a table holds, and how sure that is. `exact`: counted by a COUNT Scan of the
 * whole table. `atLeast`: the Scan stopped at its bound, `count` is what it had counted.
 * `estimate`: DescribeTable's ItemCount, which DynamoDB refreshes only about every 6 hours.
 */
export interface ItemCount {
  count: number
  kind: 'exact' | 'atLeast' | 'estimate'
}

export interface CountItemsOptions {
  /** Tables whose DescribeTable size is at most this are counted (default 25 MB: ≤ ~25 Scan pages). */
  smallTableBytes?: number
  /** The COUNT Scan stops after this many pages (default 100: DynamoDB reads ≤ 1 MB a page)… */
  maxPages?: number
  /** …or after this long (default 10 s). */
  timeoutMs?: number
  /** Items per Scan page (default: DynamoDB's 1 MB pages). */
  pageSize?: number
}

/**
 * The table's item count, for messages that must not lie ("~0 items" for 55,212). DescribeTable's
 * ItemCount is 0 on a table younger than its first refresh (and always in dynalite), and up to
 * ~6 hours old otherwise. So a table that is small by its size estimate, or whose item estimate
 * is 0, is counted with a paged COUNT Scan (reads every item: bounded in pages and time), and
 * only a large table with a non-zero estimate is reported by that estimate.
 *
 * @example
 * const table = await store.describe()
 * if (table) console.log(await countItems(store, table)) // { count: 55212, kind: 'exact' }
 */
export async function countItems(
  store: TableStore,
  table: TableDescription,
  {
    smallTableBytes = 25 * 1024 * 1024,
    maxPages = 100,
    timeoutMs = 10_000,
    pageSize,
  }: CountItemsOptions = {},
): Promise<ItemCount> {
  const estimate = table.ItemCount ?? 0
  if (estimate > 0 && (table.TableSizeBytes ?? 0) > smallTableBytes)
    return { count: estimate, kind: 'estimate' }
  const deadline = Date.now() + timeoutMs
  let count = 0
  for await (const page of store.countPages({ pageSize, maxPages })) {
    count += page.count
    if (!page.lastKey) return { count, kind: 'exact' }
    if (Date.now() > deadline) break
  }
  return { count, kind: 'atLeast' }
}
