import { DATA_INDEX } from '../src/table.js'
import { itemSize, readUnits, type WireItem, type WireValue, writeUnits } from './capacity.js'

/** One partition key a request touched, with the capacity it cost there. */
export interface TouchedKey {
  /** The GSI name, or undefined for the base table. */
  index?: string
  /** The partition key value (`Room`, `Subscription|lobby`, a connection id, a user name). */
  key: string
  items: number
  rcu: number
  wcu: number
}

/** One DynamoDB request attempt as the recorder saw it. */
export interface RecordedRequest<Tag = unknown> {
  operation: string
  table: string
  /** The index a Query or Scan read, if any. */
  index?: string
  /** A Scan touches every partition: `keys` is empty and the capacity is in `rcu`. */
  scan: boolean
  keys: TouchedKey[]
  /** Items read or written. */
  items: number
  rcu: number
  wcu: number
  /** The error name when the attempt failed (its capacity is 0 unless DynamoDB charges it). */
  error?: string
  /** What `tagged(tag, ...)` was running when the request was made. */
  tag?: Tag
}

export interface KeySchema {
  /** The base table's partition key attribute. */
  partitionKey: string
  /** Partition key attribute of each GSI, by index name. */
  indexes: Record<string, string>
}

export interface RequestRecorderOptions {
  /** Default: chatdb's table (`pk`; GSI `byData` on `data`). */
  keySchema?: KeySchema
  /**
   * The GSI keys of an item deleted by key alone (a BatchWriteItem DeleteRequest, where DynamoDB
   * returns no old image). Default: chatdb's key shapes, where a subscription's `data` is the
   * connection id at the end of its sort key and a listing item's is the room name.
   */
  indexKeysOfDeleted?: (key: { pk: string; sk: string }) => { index: string; key: string }[]
}

/** Subscription `sk` = `<room>|<connection>` → data = connection; Room `sk` ends in the room name. */
export function chatdbIndexKeysOfDeleted({ pk, sk }: { pk: string; sk: string }) {
  if (pk === 'Room' || (pk.startsWith('Subscription|') && sk !== '#room')) {
    return [{ index: DATA_INDEX, key: sk.slice(sk.lastIndexOf('|') + 1) }]
  }
  return []
}

export const CHATDB_SCHEMA: KeySchema = { partitionKey: 'pk', indexes: { [DATA_INDEX]: 'data' } }
export const WRITES = new Set(['PutItem', 'DeleteItem', 'UpdateItem'])
/** The operations the recorder describes; others (CreateTable, ...) pass unrecorded. */
export const RECORDED = new Set([...WRITES, 'GetItem', 'Query', 'Scan', 'BatchGetItem', 'BatchWriteItem'])

type Input = Record<string, unknown>
type Output = Record<string, unknown>
/** A record before the recorder adds its tag. */
export type UntaggedRecord = Omit<RecordedRequest, 'tag'>

/** Native JavaScript (the document client's unmarshalled output) back to wire values, for sizes. */
function toWire(value: unknown): WireValue {
  if (value === null || value === undefined) return { NULL: true }
  if (typeof value === 'string') return { S: value }
  if (typeof value === 'number' || typeof value === 'bigint') return { N: String(value) }
  if (typeof value === 'boolean') return { BOOL: value }
  if (value instanceof Uint8Array) return { B: value }
  if (value instanceof Set) {
    const members = [...value]
    return typeof members[0] === 'number' ? { NS: members.map(String) } : { SS: members.map(String) }
  }
  if (Array.isArray(value)) return { L: value.map(toWire) }
  return { M: Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, toWire(v)])) }
}

/**
 * The document client unmarshalls outputs before the recorder sees them, plain clients do not:
 * an item whose partition key attribute is a string is native JavaScript.
 */
function wireItem(item: unknown, partitionKey: string): WireItem | undefined {
  if (item === null || typeof item !== 'object') return undefined
  const record = item as Record<string, unknown>
  if (typeof record[partitionKey] === 'object' && record[partitionKey] !== null) return record as WireItem
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, toWire(v)]))
}

const stringOf = (value: WireValue | undefined) =>
  value && typeof value.S === 'string' ? value.S : value && typeof value.N === 'string' ? value.N : undefined

/** The partition key value of a Query's key condition: `<name> = <:value>` on the partition attribute. */
export function partitionOfKeyCondition(input: Input, attribute: string): string | undefined {
  const expression = String(input.KeyConditionExpression ?? '')
  const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>
  const values = (input.ExpressionAttributeValues ?? {}) as Record<string, WireValue>
  for (const match of expression.matchAll(/(#?[\w.]+)\s*=\s*(:[\w]+)/g)) {
    const name = match[1] ?? ''
    if ((names[name] ?? name) === attribute) return stringOf(values[match[2] ?? ''])
  }
  return undefined
}

/**
 * Turns one request and its answer into the partition keys it touched and what it cost there.
 * Pure: the recorder calls it per attempt with the marshalled input and the engine's output.
 *
 * @example
 * const { describe } = createRequestDescriber({ keySchema: CHATDB_SCHEMA })
 * describe('GetItem', { TableName: 'chat', Key: { pk: { S: 'Room' }, sk: { S: 'x' } } }, {})
 */
export function createRequestDescriber({
  keySchema: schema,
  indexKeysOfDeleted = chatdbIndexKeysOfDeleted,
}: {
  keySchema: KeySchema
  indexKeysOfDeleted?: RequestRecorderOptions['indexKeysOfDeleted']
}) {
  const base = (operation: string, input: Input) => ({
    operation,
    table: String(input.TableName ?? ''),
    index: typeof input.IndexName === 'string' ? input.IndexName : undefined,
    scan: operation === 'Scan',
  })

  const consumed = (output: Output, table: string) => {
    const list = Array.isArray(output.ConsumedCapacity) ? output.ConsumedCapacity : [output.ConsumedCapacity]
    return list.find((c) => c && (c as { TableName?: string }).TableName === table) as
      | {
          CapacityUnits?: number
          Table?: { CapacityUnits?: number }
          GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>
        }
      | undefined
  }

  /** GSI writes of one item change: the old key loses it, the new key gains it (once if the same). */
  function indexWrites(newItem: WireItem | undefined, oldItem: WireItem | undefined, fallbackUnits: number) {
    const keys: TouchedKey[] = []
    for (const [index, attribute] of Object.entries(schema.indexes)) {
      const newKey = stringOf(newItem?.[attribute])
      const oldKey = stringOf(oldItem?.[attribute])
      const units = (item: WireItem | undefined) => (item ? writeUnits(itemSize(item)) : fallbackUnits)
      if (newKey !== undefined && newKey === oldKey) {
        keys.push({ index, key: newKey, items: 1, rcu: 0, wcu: Math.max(units(newItem), units(oldItem)) })
        continue
      }
      if (oldKey !== undefined) keys.push({ index, key: oldKey, items: 1, rcu: 0, wcu: units(oldItem) })
      if (newKey !== undefined) keys.push({ index, key: newKey, items: 1, rcu: 0, wcu: units(newItem) })
    }
    return keys
  }

  function describe(operation: string, input: Input, output: Output): UntaggedRecord | undefined {
    const head = base(operation, input)
    const pk = schema.partitionKey
    const capacity = consumed(output, head.table)
    const consistent = input.ConsistentRead === true
    switch (operation) {
      case 'GetItem': {
        const key = stringOf((input.Key as WireItem | undefined)?.[pk]) ?? ''
        const item = wireItem(output.Item, pk)
        const rcu = capacity?.CapacityUnits ?? readUnits(item ? itemSize(item) : 0, { consistent })
        const items = item ? 1 : 0
        return { ...head, keys: [{ key, items, rcu, wcu: 0 }], items, rcu, wcu: 0 }
      }
      case 'Query':
      case 'Scan': {
        const rows = (output.Items as unknown[] | undefined) ?? []
        const computed = () =>
          readUnits(
            rows.reduce<number>((sum, row) => sum + itemSize(wireItem(row, pk) ?? {}), 0),
            { consistent },
          )
        const rcu = capacity?.CapacityUnits ?? computed()
        const items = Number(output.ScannedCount ?? rows.length)
        const attribute = head.index === undefined ? pk : schema.indexes[head.index]
        const key = operation === 'Query' && attribute ? partitionOfKeyCondition(input, attribute) : undefined
        const keys = key === undefined ? [] : [{ index: head.index, key, items, rcu, wcu: 0 }]
        return { ...head, keys, items, rcu, wcu: 0 }
      }
      case 'PutItem':
      case 'DeleteItem':
      case 'UpdateItem': {
        const newItem = operation === 'PutItem' ? (input.Item as WireItem) : undefined
        const image = wireItem(output.Attributes, pk)
        const returned = String(input.ReturnValues ?? 'NONE')
        // An update's new image stands for both: an update that moves `data` is not seen.
        const oldItem = operation === 'UpdateItem' ? image : returned === 'ALL_OLD' ? image : undefined
        const after = operation === 'UpdateItem' ? image : newItem
        const sizes = [after, oldItem].map((item) => (item ? itemSize(item) : 0))
        const baseUnits =
          capacity?.Table?.CapacityUnits ?? capacity?.CapacityUnits ?? writeUnits(Math.max(...sizes))
        const key = stringOf(((input.Key ?? input.Item) as WireItem | undefined)?.[pk]) ?? ''
        const gsi = indexWrites(operation === 'DeleteItem' ? undefined : after, oldItem, baseUnits)
        const keys = [{ key, items: 1, rcu: 0, wcu: baseUnits }, ...gsi]
        return { ...head, keys, items: 1, rcu: 0, wcu: keys.reduce((sum, k) => sum + k.wcu, 0) }
      }
      case 'BatchWriteItem':
        return describeBatchWrite(input, output)
      case 'BatchGetItem':
        return describeBatchGet(input, output)
      default:
        return undefined
    }
  }

  function describeBatchWrite(input: Input, output: Output): UntaggedRecord {
    const pk = schema.partitionKey
    const requested = (input.RequestItems ?? {}) as Record<
      string,
      Record<string, { Item?: WireItem; Key?: WireItem }>[]
    >
    const unprocessed = (output.UnprocessedItems ?? {}) as Record<string, unknown[]>
    const keys: TouchedKey[] = []
    let items = 0
    let table = ''
    for (const [tableName, writes] of Object.entries(requested)) {
      table = tableName
      // Unprocessed entries come back as they were sent: compare by their base key.
      const skipped = new Set(
        (unprocessed[tableName] ?? []).map((w) => {
          const entry = w as Record<string, { Item?: WireItem; Key?: WireItem }>
          const item = entry.PutRequest?.Item ?? entry.DeleteRequest?.Key ?? {}
          return JSON.stringify([stringOf(wireItem(item, pk)?.[pk]), stringOf(wireItem(item, pk)?.sk)])
        }),
      )
      const done = writes.filter((w) => {
        const item = w.PutRequest?.Item ?? w.DeleteRequest?.Key ?? {}
        return !skipped.has(JSON.stringify([stringOf(item[pk]), stringOf(item.sk)]))
      })
      const putUnits = done.reduce(
        (sum, w) => sum + (w.PutRequest?.Item ? writeUnits(itemSize(w.PutRequest.Item)) : 0),
        0,
      )
      const deletes = done.filter((w) => w.DeleteRequest).length
      // DynamoDB returns no image of a deleted item: its size comes from the table's reported
      // total, less the puts, shared out (at least 1 WCU each).
      const reported = consumed(output, tableName)?.CapacityUnits
      const deleteUnits =
        deletes === 0 ? 0 : Math.max(1, ((reported ?? putUnits + deletes) - putUnits) / deletes)
      for (const w of done) {
        items++
        if (w.PutRequest?.Item) {
          const item = w.PutRequest.Item
          const units = writeUnits(itemSize(item))
          keys.push(
            { key: stringOf(item[pk]) ?? '', items: 1, rcu: 0, wcu: units },
            ...indexWrites(item, undefined, units),
          )
        } else if (w.DeleteRequest?.Key) {
          const pkValue = stringOf(w.DeleteRequest.Key[pk]) ?? ''
          keys.push({ key: pkValue, items: 1, rcu: 0, wcu: deleteUnits })
          for (const gsi of indexKeysOfDeleted({ pk: pkValue, sk: stringOf(w.DeleteRequest.Key.sk) ?? '' })) {
            keys.push({ ...gsi, items: 1, rcu: 0, wcu: deleteUnits })
          }
        }
      }
    }
    const wcu = keys.reduce((sum, k) => sum + k.wcu, 0)
    return { operation: 'BatchWriteItem', table, scan: false, keys, items, rcu: 0, wcu }
  }

  function describeBatchGet(input: Input, output: Output): UntaggedRecord {
    const pk = schema.partitionKey
    const requested = (input.RequestItems ?? {}) as Record<string, { ConsistentRead?: boolean }>
    const responses = (output.Responses ?? {}) as Record<string, unknown[]>
    const keys: TouchedKey[] = []
    let table = ''
    for (const [tableName, rows] of Object.entries(responses)) {
      table = tableName
      const consistent = requested[tableName]?.ConsistentRead === true
      for (const row of rows) {
        const item = wireItem(row, pk) ?? {}
        keys.push({
          key: stringOf(item[pk]) ?? '',
          items: 1,
          rcu: readUnits(itemSize(item), { consistent }),
          wcu: 0,
        })
      }
    }
    const rcu = keys.reduce((sum, k) => sum + k.rcu, 0)
    return { operation: 'BatchGetItem', table, scan: false, keys, items: keys.length, rcu, wcu: 0 }
  }

  /** A failed conditional write is still charged (the write's size, at least 1 WCU); throttles are not. */
  function describeFailure(operation: string, input: Input, error: unknown): UntaggedRecord | undefined {
    if (!RECORDED.has(operation)) return undefined
    const name = error instanceof Error ? error.name : 'Error'
    const head = base(operation, input)
    const pk = schema.partitionKey
    const keyItem = (input.Key ?? input.Item) as WireItem | undefined
    if (name === 'ConditionalCheckFailedException' && keyItem) {
      const wcu = writeUnits(input.Item ? itemSize(input.Item as WireItem) : 0)
      const keys = [{ key: stringOf(keyItem[pk]) ?? '', items: 0, rcu: 0, wcu }]
      return { ...head, keys, items: 0, rcu: 0, wcu, error: name }
    }
    return { ...head, keys: [], items: 0, rcu: 0, wcu: 0, error: name }
  }

  return { describe, describeFailure }
}
