import type { AttributeValue } from '@aws-sdk/client-dynamodb'
import { type NativeAttributeValue, NumberValue } from '@aws-sdk/lib-dynamodb'
import { ChatDbError } from '../errors.js'
import { canonicalNumber } from './dynamoNumber.js'

/** An item as DynamoDB returns it on the wire (`{ pk: { S: 'Room' }, ... }`). */
export type RawItem = Record<string, AttributeValue>

const TYPES = ['S', 'N', 'B', 'SS', 'NS', 'BS', 'M', 'L', 'NULL', 'BOOL'] as const

/** DynamoDB refuses documents nested deeper than this (a top-level map or list is level 1). */
export const MAX_NESTING_DEPTH = 32
/** DynamoDB's naming rule: an attribute name is less than 64 KB (UTF-8). */
export const MAX_ATTRIBUTE_NAME_BYTES = 65_535

/**
 * A map from attribute names, without a prototype: `__proto__` is a legal attribute name, and
 * assigning it on a plain object would set the prototype instead and silently drop the attribute.
 */
export const emptyRecord = <T>(): Record<string, T> => Object.create(null) as Record<string, T>

/**
 * One export line: `{"Item":{...}}` in DynamoDB JSON, the format of DynamoDB's own export to S3,
 * binaries as base64. Numbers stay strings, so nothing is rounded on the way through.
 *
 * @example
 * encodeItemLine({ pk: { S: 'Room' }, n: { N: '1.10' } }) // '{"Item":{"pk":{"S":"Room"},"n":{"N":"1.10"}}}'
 */
export function encodeItemLine(item: RawItem): string {
  return JSON.stringify({ Item: item }, (_key, value) =>
    value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value,
  )
}

/**
 * Parses and checks one export line the way DynamoDB checks an attribute value: number syntax,
 * precision and range, base64, empty or duplicate sets, nesting depth. Throws
 * `validation.option` naming the line when it is malformed. Table-dependent rules (key types,
 * item size) are `checkImportItem`'s.
 */
export function decodeItemLine(line: string, lineNumber: number): RawItem {
  const fail = (why: string): never => {
    throw new ChatDbError('validation.option', `line ${lineNumber}: ${why}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(line)
  } catch {
    return fail('not valid JSON')
  }
  const item = isRecord(parsed) ? parsed.Item : undefined
  if (!isRecord(item)) return fail('expected {"Item": {...}} in DynamoDB JSON')
  const decoded = emptyRecord<AttributeValue>()
  for (const [name, value] of Object.entries(item)) {
    // DynamoDB's naming rule: an attribute name is at least 1 character and less than 64 KB.
    if (name === '') fail('an attribute name cannot be empty')
    const bytes = Buffer.byteLength(name)
    if (bytes > MAX_ATTRIBUTE_NAME_BYTES)
      fail(
        `attribute name ${JSON.stringify(`${name.slice(0, 20)}…`)} is ${bytes} bytes (at most ${MAX_ATTRIBUTE_NAME_BYTES})`,
      )
    decoded[name] = decodeValue(value, name, 0, fail)
  }
  if (Object.keys(decoded).length === 0) return fail('item has no attributes')
  return decoded
}

function decodeValue(
  value: unknown,
  path: string,
  depth: number,
  fail: (why: string) => never,
): AttributeValue {
  if (!isRecord(value)) return fail(`attribute ${path} is not a DynamoDB JSON value`)
  const entries = Object.entries(value)
  const [type, inner] = entries[0] ?? []
  if (entries.length !== 1 || !TYPES.includes(type as (typeof TYPES)[number])) {
    return fail(`attribute ${path} must have exactly one of ${TYPES.join(', ')}`)
  }
  const number = (text: unknown): string => {
    if (typeof text !== 'string') return fail(`${path} must be a number string`)
    const problem = canonicalNumber(text).problem
    return problem ? fail(`${path}: ${problem}`) : text
  }
  const binary = (text: unknown): Uint8Array =>
    typeof text === 'string' && isBase64(text)
      ? new Uint8Array(Buffer.from(text, 'base64'))
      : fail(`${path} must be base64 (A-Z a-z 0-9 + /, padded with = to a multiple of 4)`)
  // DynamoDB refuses empty sets, sets that hold a value twice (numbers compared by value), and
  // empty strings or binaries in a set (allowed elsewhere outside keys).
  const set = <T>(what: string, parse: (v: unknown) => T, identity: (v: T) => string): T[] => {
    if (!Array.isArray(inner)) return fail(`attribute ${path} (${type}) must be a list of ${what}`)
    if (inner.length === 0) return fail(`${path}: a set (${type}) cannot be empty`)
    const seen = new Set<string>()
    return inner.map((element) => {
      const parsedElement = parse(element)
      const id = identity(parsedElement)
      if (seen.has(id)) fail(`${path}: the set (${type}) holds ${JSON.stringify(element)} twice`)
      seen.add(id)
      return parsedElement
    })
  }
  const nested = () => {
    if (depth + 1 > MAX_NESTING_DEPTH) fail(`${path} is nested more than ${MAX_NESTING_DEPTH} levels deep`)
    return depth + 1
  }
  switch (type) {
    case 'S':
      return typeof inner === 'string' ? { S: inner } : fail(`${path} must be a string`)
    case 'N':
      return { N: number(inner) }
    case 'B':
      return { B: binary(inner) }
    case 'SS':
      return {
        SS: set(
          'strings',
          (v) =>
            typeof v !== 'string'
              ? fail(`attribute ${path} (SS) must be a list of strings`)
              : v === ''
                ? fail(`${path}: a set (SS) cannot hold an empty string`)
                : v,
          (v) => v,
        ),
      }
    case 'NS':
      return { NS: set('number strings', number, (v) => canonicalNumber(v).canonical ?? v) }
    case 'BS':
      return {
        BS: set(
          'base64 strings',
          (v) => {
            const bytes = binary(v)
            return bytes.length === 0 ? fail(`${path}: a set (BS) cannot hold an empty binary`) : bytes
          },
          (v) => Buffer.from(v).toString('base64'),
        ),
      }
    case 'BOOL':
      return typeof inner === 'boolean' ? { BOOL: inner } : fail(`${path} must be a boolean`)
    case 'NULL':
      return inner === true ? { NULL: true } : fail(`${path} must be true`)
    case 'L': {
      if (!Array.isArray(inner)) return fail(`${path} must be a list`)
      const level = nested()
      return { L: inner.map((v, i) => decodeValue(v, `${path}[${i}]`, level, fail)) }
    }
    default: {
      if (!isRecord(inner)) return fail(`${path} must be a map`)
      const level = nested()
      const map = emptyRecord<AttributeValue>()
      for (const [k, v] of Object.entries(inner)) map[k] = decodeValue(v, `${path}.${k}`, level, fail)
      return { M: map }
    }
  }
}

/**
 * DynamoDB JSON to the document client's native values, losslessly: numbers become
 * `NumberValue` (their exact text), sets become `Set`s, so marshalling gives back the same item.
 */
export function toNativeItem(item: RawItem): Record<string, NativeAttributeValue> {
  const native = emptyRecord<NativeAttributeValue>()
  for (const [name, value] of Object.entries(item)) native[name] = toNative(value)
  return native
}

function toNative(value: AttributeValue): NativeAttributeValue {
  if (value.S !== undefined) return value.S
  if (value.N !== undefined) return NumberValue.from(value.N)
  if (value.B !== undefined) return value.B
  if (value.SS !== undefined) return new Set(value.SS)
  if (value.NS !== undefined) return new Set(value.NS.map((n) => NumberValue.from(n)))
  if (value.BS !== undefined) return new Set(value.BS)
  if (value.BOOL !== undefined) return value.BOOL
  if (value.NULL !== undefined) return null
  if (value.L !== undefined) return value.L.map(toNative)
  if (value.M !== undefined) return toNativeItem(value.M)
  throw new ChatDbError('validation.option', 'unsupported DynamoDB attribute value')
}

// Node's decoder skips any character it does not know; DynamoDB refuses them. Canonical
// padding only, as DynamoDB's decoder wants it.
function isBase64(text: string): boolean {
  return (
    text.length % 4 === 0 &&
    /^[A-Za-z0-9+/]*={0,2}$/.test(text) &&
    Buffer.from(text, 'base64').toString('base64') === text
  )
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
