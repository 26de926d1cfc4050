import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { createRandom } from '../../src/admin/generateDataset.js'
import { allItems, scanPages } from '../../src/repository/pager.js'

/** Every item of a table, raw (as stored), sorted by pk then sk. */
export async function scanAll(documentClient: DynamoDBDocumentClient, tableName: string) {
  const items = await allItems(scanPages(documentClient, { TableName: tableName }))
  const key = (item: Record<string, unknown>) => `${item.pk}\u0000${item.sk}`
  return items.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
}

/** The seeded PRNG of the dataset generator, with helpers, so randomized tests replay by seed. */
export function prng(seed: number) {
  const next = createRandom(seed)
  return {
    next,
    int: (max: number) => Math.floor(next() * max),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
  }
}
