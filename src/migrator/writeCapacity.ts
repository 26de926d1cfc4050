import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb'
import type { WriteRequest } from '../repository/batchWrite.js'

/** DynamoDB bills a write 1 WCU per started KB of the item. */
const WRITE_UNIT_BYTES = 1024

/** The WCU of writes, split by where DynamoDB charges them: the table and the `data` GSI. */
export interface WriteUnits {
  table: number
  index: number
}

/**
 * The size DynamoDB counts for an item (document-client values): attribute names and string
 * values as UTF-8 bytes, numbers by their significant digits (about one byte per two, plus one),
 * 1 byte for a boolean or null, 3 bytes of overhead for a list or map plus 1 per element
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html).
 *
 * @example
 * itemSize({ pk: 'Room', sk: 'x' }) // 2 + 4 + 2 + 1 = 9
 */
export function itemSize(item: Record<string, unknown>): number {
  let size = 0
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name, 'utf8') + valueSize(value)
  return size
}

function valueSize(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8')
  if (typeof value === 'number' || typeof value === 'bigint') {
    const digits = String(value).replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '')
    return Math.ceil(Math.max(1, digits.length) / 2) + 1
  }
  if (value instanceof Uint8Array) return value.byteLength
  if (value instanceof Set) return 3 + [...value].reduce((sum: number, v) => sum + valueSize(v), 0)
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + 1 + valueSize(v), 0)
  if (typeof value === 'object') {
    let size = 3
    for (const [name, v] of Object.entries(value)) size += 1 + Buffer.byteLength(name, 'utf8') + valueSize(v)
    return size
  }
  return 1
}

/**
 * What BatchWriteItem requests cost, computed as DynamoDB bills them: a put 1 WCU per started KB
 * of its item on the table, and the same again on the `data` GSI when the item carries a `data`
 * key (the index projects ALL attributes); a delete's item is unknown before it is gone, so it
 * counts 1 WCU on the table and 1 on the index (most migrated items are indexed). DynamoDB
 * bills a put that replaces a larger item by the larger one: the reported capacity, when the
 * endpoint gives it, corrects these estimates (see {@link reportedUnits}).
 */
export function estimateWriteUnits(requests: readonly WriteRequest[]): WriteUnits {
  const units: WriteUnits = { table: 0, index: 0 }
  for (const request of requests) {
    const item = request.PutRequest?.Item
    if (item) {
      const wcu = Math.max(1, Math.ceil(itemSize(item) / WRITE_UNIT_BYTES))
      units.table += wcu
      if (typeof item.data === 'string') units.index += wcu
    } else if (request.DeleteRequest) {
      units.table += 1
      units.index += 1
    }
  }
  return units
}

/**
 * The WCU a BatchWriteItem consumed, from what DynamoDB reported (`ReturnConsumedCapacity:
 * INDEXES`) for the requests it processed: the reported total when the answer itemises the
 * indexes (DynamoDB does when index writes happened); otherwise the reported table units plus the
 * estimated index units (dynalite reports the table only). Undefined when nothing was reported.
 */
export function reportedUnits(
  consumed: ConsumedCapacity | undefined,
  processed: readonly WriteRequest[],
): number | undefined {
  if (consumed?.CapacityUnits === undefined) return undefined
  if (consumed.GlobalSecondaryIndexes && Object.keys(consumed.GlobalSecondaryIndexes).length > 0) {
    return consumed.CapacityUnits
  }
  return (consumed.Table?.CapacityUnits ?? consumed.CapacityUnits) + estimateWriteUnits(processed).index
}
