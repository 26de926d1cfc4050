import { QueryCommand } from 'dynamodb-toolbox/table/actions/query'
import type { WriteRequest } from '../repository/batchWrite.js'
import { type PageKey, pages } from '../repository/pager.js'
import type { ChatTable } from '../table.js'
import type { ScannedItem } from './types.js'

/**
 * Every raw item of one partition (no entity filter: legacy items have no `_et`), consistent,
 * optionally only sort keys beginning with `beginsWith`, at most `limit` items.
 *
 * @example
 * const legacyRooms = await queryPartition(ctx.table, 'Room')
 */
export async function queryPartition(
  table: ChatTable,
  partition: string,
  { beginsWith, limit }: { beginsWith?: string; limit?: number } = {},
): Promise<ScannedItem[]> {
  const items: ScannedItem[] = []
  const query = table
    .build(QueryCommand)
    .query({ partition, ...(beginsWith === undefined ? {} : { range: { beginsWith } }) })
  const read = (exclusiveStartKey: PageKey | undefined) =>
    query
      .options({
        consistent: true,
        exclusiveStartKey,
        ...(limit === undefined ? {} : { limit: limit - items.length }),
      })
      .send()
  for await (const page of pages(read)) {
    items.push(...(page.items as ScannedItem[]))
    if (limit !== undefined && items.length >= limit) break
  }
  return items
}

/** The DeleteRequest for an item's own key. */
export function deleteRequestFor(item: ScannedItem): WriteRequest {
  return { DeleteRequest: { Key: { pk: item.pk, sk: item.sk } } }
}

/**
 * Replaces `item` with the item of `put` (a PutRequest built by an entity): attributes of the
 * old item that the migration does not know (`known`) are carried over, so nothing a team
 * added to its items is lost; when the key changes the old item is deleted.
 */
export function replaceItem(item: ScannedItem, put: WriteRequest, known: readonly string[]) {
  const next = put.PutRequest?.Item ?? {}
  const extras = Object.fromEntries(Object.entries(item).filter(([name]) => !known.includes(name)))
  const puts: WriteRequest[] = [{ PutRequest: { Item: { ...extras, ...next } } }]
  const keyChanged = next.pk !== item.pk || next.sk !== item.sk
  return { puts, deletes: keyChanged ? [deleteRequestFor(item)] : [] }
}
