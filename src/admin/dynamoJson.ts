import type { AttributeValue } from '@aws-sdk/client-dynamodb'
import { type NativeAttributeValue, NumberValue } from '@aws-sdk/lib-dynamodb'
import { ChatDbError } from '../errors.js'

/** An item as DynamoDB returns it on the wire (`{ pk: { S: 'Room' }, ... }`). */
export type RawItem = Record<string, AttributeValue>

const TYPES = ['S', 'N', 'B', 'SS', 'NS', 'BS', 'M', 'L', 'NULL', 'BOOL'] as const

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

/** Parses and checks one export line; throws `validation.option` naming the line when it is malformed. */
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
  // fromEntries defines own properties: an attribute named `__proto__` is kept, not a prototype.
  const decoded: RawItem = Object.fromEntries(
    Object.entries(item).map(([name, value]) => [name, decodeValue(value, `${name}`, fail)]),
  )
  if (decoded.pk?.S === undefined || decoded.sk?.S === undefined) return fail('item has no string pk and sk')
  return decoded
}

function decodeValue(value: unknown, path: string, fail: (why: string) => never): AttributeValue {
  if (!isRecord(value)) return fail(`attribute ${path} is not a DynamoDB JSON value`)
  const entries = Object.entries(value)
  const [type, inner] = entries[0] ?? []
  if (entries.length !== 1 || !TYPES.includes(type as (typeof TYPES)[number])) {
    return fail(`attribute ${path} must have exactly one of ${TYPES.join(', ')}`)
  }
  const strings = (what: string): string[] =>
    Array.isArray(inner) && inner.every((v) => typeof v === 'string')
      ? inner
      : fail(`attribute ${path} (${type}) must be ${what}`)
  switch (type) {
    case 'S':
      return typeof inner === 'string' ? { S: inner } : fail(`${path} must be a string`)
    case 'N':
      return typeof inner === 'string' ? { N: inner } : fail(`${path} must be a number string`)
    case 'B':
      return typeof inner === 'string' ? { B: fromBase64(inner) } : fail(`${path} must be base64`)
    case 'SS':
      return { SS: strings('a list of strings') }
    case 'NS':
      return { NS: strings('a list of number strings') }
    case 'BS':
      return { BS: strings('a list of base64 strings').map(fromBase64) }
    case 'BOOL':
      return typeof inner === 'boolean' ? { BOOL: inner } : fail(`${path} must be a boolean`)
    case 'NULL':
      return inner === true ? { NULL: true } : fail(`${path} must be true`)
    case 'L':
      return Array.isArray(inner)
        ? { L: inner.map((v, i) => decodeValue(v, `${path}[${i}]`, fail)) }
        : fail(`${path} must be a list`)
    default: {
      if (!isRecord(inner)) return fail(`${path} must be a map`)
      const map: RawItem = Object.fromEntries(
        Object.entries(inner).map(([k, v]) => [k, decodeValue(v, `${path}.${k}`, fail)]),
      )
      return { M: map }
    }
  }
}

/**
 * DynamoDB JSON to the document client's native values, losslessly: numbers become
 * `NumberValue` (their exact text), sets become `Set`s, so marshalling gives back the same item.
 */
export function toNativeItem(item: RawItem): Record<string, NativeAttributeValue> {
  return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, toNative(value)]))
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

function fromBase64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'))
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
