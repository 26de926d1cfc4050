import type { AttributeValue, TableDescription } from '@aws-sdk/client-dynamodb'
import { ChatDbError } from '../errors.js'
import type { RawItem } from './dynamoJson.js'
import { canonicalNumber } from './dynamoNumber.js'

/** DynamoDB's item size limit: 400 KB, attribute names included. */
export const MAX_ITEM_BYTES = 400 * 1024
/** Key value limits in bytes: partition keys 2048, sort keys 1024. */
const MAX_KEY_BYTES = { HASH: 2048, RANGE: 1024 } as const

/** A key attribute of the table or of one of its indexes, with the type DynamoDB declared for it. */
export interface KeyAttribute {
  name: string
  type: 'S' | 'N' | 'B'
  role: 'HASH' | 'RANGE'
  /** Undefined for the table's own key; the index's name otherwise. */
  index?: string
}

type KeyLayout = Pick<
  TableDescription,
  'KeySchema' | 'AttributeDefinitions' | 'GlobalSecondaryIndexes' | 'LocalSecondaryIndexes'
>

/**
 * The key attributes an imported item is checked against, read from the target table's own
 * description (or `tableDefinition` for a table not created yet), indexes included: DynamoDB
 * refuses an item whose index key has the wrong type or is an empty string.
 */
export function keyAttributesOf(table: KeyLayout): KeyAttribute[] {
  const typeOf = (name: string) =>
    (table.AttributeDefinitions?.find((d) => d.AttributeName === name)?.AttributeType ??
      'S') as KeyAttribute['type']
  const keys = (schema: KeyLayout['KeySchema'], index?: string): KeyAttribute[] =>
    (schema ?? []).map((k) => ({
      name: k.AttributeName ?? '',
      type: typeOf(k.AttributeName ?? ''),
      role: k.KeyType === 'RANGE' ? 'RANGE' : 'HASH',
      ...(index ? { index } : {}),
    }))
  return [
    ...keys(table.KeySchema),
    ...[...(table.GlobalSecondaryIndexes ?? []), ...(table.LocalSecondaryIndexes ?? [])].flatMap((i) =>
      keys(i.KeySchema, i.IndexName),
    ),
  ]
}

/**
 * Throws `validation.option` naming the line when DynamoDB would refuse the item in this table:
 * a table key missing, of the wrong type, empty or too long; an index key of the wrong type or
 * empty; an item over 400 KB. Returns the item's primary key as text, to find duplicates.
 */
export function checkImportItem(item: RawItem, keys: readonly KeyAttribute[], lineNumber: number): string {
  const fail = (why: string): never => {
    throw new ChatDbError('validation.option', `line ${lineNumber}: ${why}`)
  }
  const primary: string[] = []
  for (const key of keys) {
    const value = Object.hasOwn(item, key.name) ? item[key.name] : undefined
    const what = key.index ? `index ${key.index} key ${key.name}` : `key ${key.name}`
    if (value === undefined) {
      if (key.index) continue // an item without an index key is simply not in that index
      fail(`item has no ${what} (${key.type})`)
      continue
    }
    const type = Object.keys(value)[0]
    if (type !== key.type) fail(`${what} must be of type ${key.type}, not ${type}`)
    const bytes = valueBytes(value)
    if (key.type !== 'N' && bytes === 0) fail(`${what} cannot be empty`)
    if (!key.index && bytes > MAX_KEY_BYTES[key.role])
      fail(`${what} is ${bytes} bytes (at most ${MAX_KEY_BYTES[key.role]})`)
    if (!key.index) primary.push(`${type}:${identity(value)}`)
  }
  const size = itemBytes(item)
  if (size > MAX_ITEM_BYTES)
    fail(`item is ${size} bytes, over DynamoDB's limit of ${MAX_ITEM_BYTES} (400 KB)`)
  return JSON.stringify(primary)
}

/** The size DynamoDB counts against the 400 KB limit (names in UTF-8 plus values; AWS's rules). */
export function itemBytes(item: RawItem): number {
  let bytes = 0
  for (const [name, value] of Object.entries(item)) bytes += Buffer.byteLength(name) + valueBytes(value)
  return bytes
}

function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S)
  if (value.N !== undefined) return numberBytes(value.N)
  if (value.B !== undefined) return value.B.length
  if (value.SS !== undefined) return value.SS.reduce((n, s) => n + Buffer.byteLength(s), 0)
  if (value.NS !== undefined) return value.NS.reduce((n, s) => n + numberBytes(s), 0)
  if (value.BS !== undefined) return value.BS.reduce((n, b) => n + b.length, 0)
  // Lists and maps: 3 bytes of overhead, and 1 byte per element.
  if (value.L !== undefined) return value.L.reduce((n, v) => n + 1 + valueBytes(v), 3)
  if (value.M !== undefined) return 3 + Object.keys(value.M).length + itemBytes(value.M)
  return 1 // NULL, BOOL
}

// About one byte per two significant digits, plus one.
const numberBytes = (text: string) => Math.ceil(canonicalNumber(text).digits / 2) + 1

function identity(value: AttributeValue): string {
  if (value.B !== undefined) return Buffer.from(value.B).toString('base64')
  if (value.N !== undefined) return canonicalNumber(value.N).canonical ?? value.N
  return value.S ?? ''
}
