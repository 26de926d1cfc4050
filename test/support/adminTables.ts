import type { RawItem } from '../../src/admin/dynamoJson.js'
import { bundledDatasetPath, loadSeedDataset } from '../../src/admin/seedDataset.js'
import { seedTable } from '../../src/admin/seedTable.js'
import { createTestTable, type TestTable } from './dynamo.js'

/** The bundled seed dataset (5 rooms, 8 users, 33 messages), which the admin tests seed. */
export const dataset = loadSeedDataset(bundledDatasetPath())

/** The connection id the bundled dataset gives a user. */
export const connectionOf = (userName: string) =>
  dataset.users.find((u) => u.userName === userName)?.connectionId as string

/** Every raw item of a table, as stored. */
export async function rawItems(t: TestTable, tableName: string) {
  const items: RawItem[] = []
  for await (const page of t.store(tableName).rawPages()) items.push(...page)
  return items
}

/**
 * Every item of a table as one JSON string with sorted attributes, the strings sorted: two
 * tables hold the same items exactly when these lists are equal.
 */
export async function serializedItems(t: TestTable, tableName: string) {
  const items = await rawItems(t, tableName)
  return items.map((item) => JSON.stringify(Object.fromEntries(Object.entries(item).sort()))).sort()
}

/**
 * A fresh table seeded with the bundled dataset, the request counter reset after the seed.
 * Each test seeds its own, so the file's table stays empty for the table-level tests.
 */
export async function seededTable(t: TestTable) {
  const tableName = await createTestTable(t.documentClient, 'admin')
  const repository = t.repository({ tableName })
  const store = t.store(tableName)
  await seedTable(repository, store, dataset, { batchWrite: { baseDelayMs: 1 } })
  t.counter.reset()
  return { tableName, repository, store }
}
