// The table itself (`chatdb inspect table`): its description, TTL and items counted by entity.
import type { TimeToLiveStatus } from '../repository/tableDescription.js'
import type { TableStore } from '../repository/tableStore.js'
import { billingModeOf, keySchemaText } from './tableDiff.js'

export interface TableReport {
  tableName: string
  status: string
  billingMode: string
  keySchema: string
  indexes: { name: string; status: string; keySchema: string; projection: string }[]
  /** DescribeTable's item count: DynamoDB refreshes it about every six hours. */
  approximateItemCount: number
  sizeBytes: number
  timeToLive: TimeToLiveStatus
  /** Exact counts by toolbox entity from a full Scan; items without one count as `(none)`. */
  entities: Record<string, number>
  scannedItems: number
}

/**
 * Status, key schema, GSI, TTL and item counts by entity (a projected Scan of the whole table).
 * Undefined when the table is missing.
 *
 * @example
 * const report = await inspectTable(createTableStore({ documentClient, tableName: 'chat' }))
 */
export async function inspectTable(store: TableStore): Promise<TableReport | undefined> {
  const { tableName } = store
  const table = await store.describe()
  if (!table) return undefined
  const timeToLive = await store.timeToLive()
  const { entities, scannedItems } = await store.countByEntity()
  return {
    tableName,
    status: table.TableStatus ?? 'UNKNOWN',
    billingMode: billingModeOf(table),
    keySchema: keySchemaText(table.KeySchema),
    indexes: (table.GlobalSecondaryIndexes ?? []).map((index) => ({
      name: index.IndexName ?? '',
      status: index.IndexStatus ?? 'UNKNOWN',
      keySchema: keySchemaText(index.KeySchema),
      projection: index.Projection?.ProjectionType ?? '',
    })),
    approximateItemCount: table.ItemCount ?? 0,
    sizeBytes: table.TableSizeBytes ?? 0,
    timeToLive,
    entities: Object.fromEntries(entities),
    scannedItems,
  }
}
