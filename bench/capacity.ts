/**
 * DynamoDB's capacity arithmetic, for the places where the engine does not report it (dynalite
 * reports no GSI write capacity) and for the capacity model. Pure: sizes and units only.
 *
 * Sizes follow https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html:
 * an item is the sum of its attribute names' UTF-8 lengths and its values' sizes.
 */

/** A DynamoDB attribute value on the wire (`{ S: 'x' }`, `{ N: '12' }`, `{ M: {...} }`, ...). */
export type WireValue = Record<string, unknown>
export type WireItem = Record<string, WireValue>

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8')

/** 1 byte per two significant digits, plus 1 (leading and trailing zeros trimmed). */
function numberSize(text: string): number {
  const digits = text
    .replace(/^[-+]/, '')
    .replace(/[eE].*$/, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '')
  return digits.length === 0 ? 1 : Math.ceil(digits.length / 2) + 1
}

function binarySize(value: unknown): number {
  if (value instanceof Uint8Array) return value.byteLength
  return typeof value === 'string' ? Buffer.from(value, 'base64').byteLength : 0
}

/**
 * The size of one value: strings (UTF-8) and binaries by length, numbers 1 byte per two
 * significant digits plus 1, lists and maps 3 bytes plus 1 per element.
 *
 * @example
 * valueSize({ S: 'hello' }) // 5
 */
export function valueSize(value: WireValue): number {
  const [type, inner] = Object.entries(value)[0] ?? []
  switch (type) {
    case 'S':
      return utf8(String(inner))
    case 'N':
      return numberSize(String(inner))
    case 'B':
      return binarySize(inner)
    case 'BOOL':
    case 'NULL':
      return 1
    case 'SS':
      return (inner as string[]).reduce((sum, s) => sum + utf8(s), 0)
    case 'NS':
      return (inner as string[]).reduce((sum, n) => sum + numberSize(n), 0)
    case 'BS':
      return (inner as unknown[]).reduce<number>((sum, b) => sum + binarySize(b), 0)
    case 'L':
      return 3 + (inner as WireValue[]).reduce((sum, v) => sum + 1 + valueSize(v), 0)
    case 'M':
      return (
        3 +
        Object.entries(inner as WireItem).reduce((sum, [name, v]) => sum + 1 + utf8(name) + valueSize(v), 0)
      )
    default:
      return 0
  }
}

/**
 * An item's size in bytes as DynamoDB counts it: attribute names plus values.
 *
 * @example
 * itemSize({ pk: { S: 'Room' }, n: { N: '12' } }) // 2 + 4 + 1 + 2 = 9
 */
export function itemSize(item: WireItem): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + utf8(name) + valueSize(value), 0)
}

/**
 * Read capacity for `bytes` read at once (one item, or a Query page's summed item sizes):
 * 1 RCU per 4 KB rounded up, at least 1; half of that when eventually consistent.
 *
 * @example
 * readUnits(9_000, { consistent: false }) // 1.5
 */
export function readUnits(bytes: number, { consistent }: { consistent: boolean }): number {
  const units = Math.max(1, Math.ceil(bytes / 4096))
  return consistent ? units : units / 2
}

/**
 * Write capacity for an item of `bytes`: 1 WCU per 1 KB rounded up, at least 1. A write that
 * replaces an item costs the larger of the old and new sizes.
 *
 * @example
 * writeUnits(1_025) // 2
 */
export function writeUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 1024))
}
