import type { TableDescription } from '@aws-sdk/client-dynamodb'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseDuration } from '../../src/admin/duration.js'
import { decodeItemLine, encodeItemLine, type RawItem, toNativeItem } from '../../src/admin/dynamoJson.js'
import { canonicalNumber } from '../../src/admin/dynamoNumber.js'
import { createRandom, generateDataset } from '../../src/admin/generateDataset.js'
import { checkImportItem, itemBytes, keyAttributesOf } from '../../src/admin/importCheck.js'
import { checkSeedDataset } from '../../src/admin/seedDataset.js'
import { chatTableDefinition } from '../../src/admin/tableAdmin.js'
import { tableDiff } from '../../src/admin/tableDiff.js'
import { isChatDbError } from '../../src/errors.js'
import { tableDefinition } from '../../src/table.js'

describe('parseDuration', () => {
  it('reads a whole number and a unit', () => {
    expect(parseDuration('30d')).toBe(30 * 86_400_000)
    expect(parseDuration('12h')).toBe(12 * 3_600_000)
    expect(parseDuration('90m')).toBe(90 * 60_000)
    expect(parseDuration('45s')).toBe(45_000)
    expect(parseDuration('2w')).toBe(14 * 86_400_000)
  })

  it('rejects anything else with validation.option', () => {
    for (const text of ['30', 'd', '0d', '-1d', '1.5d', '30x', '', '30 days']) {
      expect(() => parseDuration(text), text).toThrow(expect.objectContaining({ code: 'validation.option' }))
    }
  })
})

describe('dynamoJson', () => {
  const item: RawItem = {
    pk: { S: 'Room' },
    sk: { S: 'true|2026-01-01T00:00:00.000Z|general' },
    n: { N: '1.10' },
    big: { N: '123456789012345678901234567890' },
    b: { B: new Uint8Array([0, 1, 255]) },
    ss: { SS: ['a', 'b'] },
    ns: { NS: ['1', '2.50'] },
    bs: { BS: [new Uint8Array([7])] },
    m: { M: { nested: { L: [{ NULL: true }, { BOOL: false }, { S: '' }] } } },
  }

  it('round-trips every attribute type through a line', () => {
    const line = encodeItemLine(item)
    expect(JSON.parse(line).Item.b).toEqual({ B: 'AAH/' })
    expect(decodeItemLine(line, 1)).toEqual(item)
  })

  it('keeps numbers as their exact text in native values', () => {
    const native = toNativeItem(item)
    expect(String(native.n)).toBe('1.10')
    expect(String(native.big)).toBe('123456789012345678901234567890')
    expect([...(native.ns as Set<unknown>)].map(String)).toEqual(['1', '2.50'])
    expect((native.m as { nested: unknown[] }).nested).toEqual([null, false, ''])
  })

  it('names the line and the problem of malformed input', () => {
    const cases: [string, RegExp][] = [
      ['not json', /line 3: not valid JSON/],
      ['{"pk":{"S":"x"}}', /line 3: expected \{"Item"/],
      ['{"Item":{"pk":{"S":"x"},"sk":{"S":"y"},"a":{"X":"1"}}}', /line 3: attribute a must have exactly one/],
      ['{"Item":{"pk":{"S":"x"},"sk":{"S":"y"},"a":{"N":1}}}', /line 3: a must be a number string/],
    ]
    for (const [line, message] of cases) {
      expect(() => decodeItemLine(line, 3)).toThrow(message)
    }
  })

  it('refuses the values DynamoDB refuses, naming the line and the attribute', () => {
    const nest = (depth: number): string => (depth === 0 ? '{"S":"x"}' : `{"M":{"a":${nest(depth - 1)}}}`)
    const cases: [string, RegExp][] = [
      ['{"N":"abc"}', /v: not a number/],
      ['{"N":""}', /v: not a number/],
      ['{"N":"+1"}', /v: not a number/],
      ['{"N":"1 "}', /v: not a number/],
      ['{"N":"Infinity"}', /v: not a number/],
      ['{"N":"1234567890123456789012345678901234567891"}', /40 significant digits/],
      ['{"N":"1E126"}', /out of DynamoDB's range/],
      ['{"N":"-1e-131"}', /out of DynamoDB's range/],
      ['{"SS":[]}', /v: a set \(SS\) cannot be empty/],
      ['{"NS":[]}', /cannot be empty/],
      ['{"BS":[]}', /cannot be empty/],
      ['{"SS":["a","a"]}', /holds "a" twice/],
      ['{"NS":["1","1.0"]}', /holds "1.0" twice/],
      ['{"BS":["AA==","AA=="]}', /twice/],
      ['{"NS":["1","x"]}', /not a number/],
      ['{"B":"not base64!"}', /v must be base64/],
      ['{"B":"AAA"}', /v must be base64/],
      ['{"BS":["AA=="," AA="]}', /must be base64/],
      ['{"L":[{"N":"1e200"}]}', /v\[0\]: 1e200 is out of/],
      [nest(33), /nested more than 32 levels/],
    ]
    for (const [value, message] of cases) {
      const line = `{"Item":{"pk":{"S":"x"},"sk":{"S":"y"},"v":${value}}}`
      expect(() => decodeItemLine(line, 7), value).toThrow(
        expect.objectContaining({ code: 'validation.option' }),
      )
      expect(() => decodeItemLine(line, 7), value).toThrow(/^line 7: /)
      expect(() => decodeItemLine(line, 7), value).toThrow(message)
    }
    for (const value of [
      '{"N":"1e125"}',
      '{"N":"-9.9999999999999999999999999999999999999E+125"}',
      '{"N":"1E-130"}',
      '{"N":"0.000"}',
      '{"N":"12345678901234567890123456789012345678000"}',
      '{"B":""}',
      '{"NS":["1","2"]}',
      nest(32),
    ]) {
      expect(
        () => decodeItemLine(`{"Item":{"pk":{"S":"x"},"sk":{"S":"y"},"v":${value}}}`, 1),
        value,
      ).not.toThrow()
    }
  })

  it('keeps an attribute named __proto__, at the top and inside a map', () => {
    const line =
      '{"Item":{"pk":{"S":"x"},"sk":{"S":"y"},"__proto__":{"S":"top"},"m":{"M":{"__proto__":{"N":"1"}}}}}'
    const item = decodeItemLine(line, 1)
    expect(Object.keys(item)).toEqual(['pk', 'sk', '__proto__', 'm'])
    expect(Object.getOwnPropertyDescriptor(item, '__proto__')?.value).toEqual({ S: 'top' })
    expect(Object.getOwnPropertyDescriptor(item.m?.M, '__proto__')?.value).toEqual({ N: '1' })
    expect(JSON.parse(encodeItemLine(item))).toEqual(JSON.parse(line))
    const native = toNativeItem(item)
    expect(Object.getOwnPropertyDescriptor(native, '__proto__')?.value).toBe('top')
  })
})

describe('canonicalNumber', () => {
  it('gives equal numbers one form and counts significant digits', () => {
    expect(canonicalNumber('1.50').canonical).toBe(canonicalNumber('15e-1').canonical)
    expect(canonicalNumber('-0.0').canonical).toBe('0')
    expect(canonicalNumber('001200').digits).toBe(2)
    expect(canonicalNumber('1.').problem).toBeUndefined()
    expect(canonicalNumber('.5').canonical).toBe(canonicalNumber('0.50').canonical)
  })
})

describe('checkImportItem', () => {
  const keys = keyAttributesOf(tableDefinition('chat'))
  const item = (extra: RawItem = {}): RawItem => ({ pk: { S: 'Room' }, sk: { S: 'a' }, ...extra })
  const refusal = (raw: RawItem) => {
    try {
      checkImportItem(raw, keys, 9)
    } catch (error) {
      expect(isChatDbError(error, 'validation.option')).toBe(true)
      return (error as Error).message
    }
    return 'accepted'
  }

  it('reads the table keys and the index keys with their types', () => {
    expect(keys).toEqual([
      { name: 'pk', type: 'S', role: 'HASH' },
      { name: 'sk', type: 'S', role: 'RANGE' },
      { name: 'data', type: 'S', role: 'HASH', index: 'byData' },
      { name: 'sk', type: 'S', role: 'RANGE', index: 'byData' },
    ])
  })

  it('refuses missing, mistyped, empty or overlong keys, and items over 400 KB, naming the line', () => {
    expect(refusal({ sk: { S: 'a' } })).toBe('line 9: item has no key pk (S)')
    expect(refusal(item({ pk: { N: '1' } }))).toBe('line 9: key pk must be of type S, not N')
    expect(refusal(item({ sk: { S: '' } }))).toBe('line 9: key sk cannot be empty')
    expect(refusal(item({ data: { N: '1' } }))).toMatch(/index byData key data must be of type S/)
    expect(refusal(item({ data: { S: '' } }))).toMatch(/index byData key data cannot be empty/)
    expect(refusal(item({ pk: { S: 'é'.repeat(1025) } }))).toMatch(/key pk is 2050 bytes/)
    expect(refusal(item({ sk: { S: 'x'.repeat(1025) } }))).toMatch(/key sk is 1025 bytes/)
    expect(refusal(item({ big: { S: 'x'.repeat(400 * 1024) } }))).toMatch(/over DynamoDB's limit of 409600/)
    expect(refusal(item({ data: { S: 'user' }, s: { S: '' }, n: { N: '0' } }))).toBe('accepted')
  })

  it('sizes items as DynamoDB does: names, values, 3 bytes per container and 1 per element', () => {
    expect(itemBytes({ ab: { S: 'héllo' } })).toBe(2 + 6)
    expect(itemBytes({ n: { N: '123.45' } })).toBe(1 + 4)
    expect(itemBytes({ l: { L: [{ NULL: true }, { BOOL: true }] } })).toBe(1 + 3 + 2 + 2)
    expect(itemBytes({ m: { M: { k: { S: 'v' } } } })).toBe(1 + 3 + 1 + 2)
  })

  it('gives two items with equal keys the same identity', () => {
    expect(checkImportItem(item({ x: { S: '1' } }), keys, 1)).toBe(checkImportItem(item(), keys, 2))
    expect(checkImportItem(item(), keys, 1)).not.toBe(checkImportItem(item({ sk: { S: 'b' } }), keys, 2))
  })
})

describe('tableDiff', () => {
  const described = (definition: ReturnType<typeof tableDefinition>): TableDescription => ({
    KeySchema: definition.KeySchema,
    AttributeDefinitions: definition.AttributeDefinitions,
    GlobalSecondaryIndexes: definition.GlobalSecondaryIndexes?.map((index) => ({
      ...index,
      IndexStatus: 'ACTIVE' as const,
    })),
  })

  it('finds nothing when the table matches its definition', () => {
    expect(tableDiff(tableDefinition('chat'), described(tableDefinition('chat')))).toEqual([])
  })

  it('reports a missing GSI, a different key schema, an extra index and another billing mode', () => {
    const actual = {
      ...described(tableDefinition('chat')),
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' as const }],
      GlobalSecondaryIndexes: [{ IndexName: 'other', KeySchema: [] }],
      BillingModeSummary: { BillingMode: 'PROVISIONED' as const },
    }
    expect(tableDiff(tableDefinition('chat'), actual)).toEqual([
      'key schema: expected pk HASH, sk RANGE, found pk HASH',
      'GSI byData: missing',
      'GSI other: not in the definition',
      'billing mode: expected PAY_PER_REQUEST, found PROVISIONED',
    ])
  })
})

describe('chatTableDefinition', () => {
  it('adds capacity to the table and its GSI for PROVISIONED', () => {
    const definition = chatTableDefinition('chat', {
      billingMode: 'PROVISIONED',
      readCapacity: 3,
      writeCapacity: 4,
    })
    const throughput = { ReadCapacityUnits: 3, WriteCapacityUnits: 4 }
    expect(definition.ProvisionedThroughput).toEqual(throughput)
    expect(definition.GlobalSecondaryIndexes?.[0]?.ProvisionedThroughput).toEqual(throughput)
    expect(chatTableDefinition('chat')).toEqual(tableDefinition('chat'))
  })
})

describe('generateDataset', () => {
  it('gives the same dataset for the same options and another for another seed', () => {
    const options = { rooms: 4, users: 9, messages: 50, seed: 7 }
    expect(generateDataset(options)).toEqual(generateDataset(options))
    expect(generateDataset({ ...options, seed: 8 })).not.toEqual(generateDataset(options))
  })

  it('makes valid, consistent datasets for any sizes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 120 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        (rooms, users, messages, seed) => {
          const dataset = generateDataset({ rooms, users, messages, seed })
          // checkSeedDataset throws on unknown users, rooms, duplicate ids and invalid names.
          const checked = checkSeedDataset(dataset)
          expect(checked.rooms).toHaveLength(rooms)
          expect(new Set(checked.rooms.map((r) => r.roomName)).size).toBe(rooms)
          expect(new Set(checked.users.map((u) => u.userName)).size).toBe(users)
          expect(checked.messages).toHaveLength(messages)
          for (const room of checked.rooms) expect(room.subscribers.length).toBeGreaterThan(0)
          const times = checked.messages.map((m) => m.time)
          expect([...times].sort((a, b) => a - b)).toEqual(times)
        },
      ),
      { numRuns: 40 },
    )
  })

  it('rejects sizes out of range', () => {
    expect(() => generateDataset({ rooms: 0, users: 1, messages: 1, seed: 1 })).toThrow(/--rooms/)
    expect(() => generateDataset({ rooms: 1, users: 1.5, messages: 1, seed: 1 })).toThrow(/--users/)
    expect(() => generateDataset({ rooms: 1, users: 1, messages: -1, seed: 1 })).toThrow(/--messages/)
  })

  it('draws from a deterministic PRNG in [0, 1)', () => {
    const a = createRandom(42)
    const b = createRandom(42)
    const draws = Array.from({ length: 1000 }, () => a())
    expect(draws).toEqual(Array.from({ length: 1000 }, () => b()))
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true)
    expect(new Set(draws).size).toBeGreaterThan(990)
  })
})

describe('seed datasets', () => {
  it('rejects unknown users, unknown rooms, duplicate ids and bad names, naming the place', () => {
    const base = {
      users: [{ userName: 'ada', connectionId: 'c1=' }],
      rooms: [{ roomName: 'general', subscribers: ['ada'] }],
      messages: [{ id: 'm1', roomName: 'general', userName: 'ada', time: 1, message: 'hi' }],
    }
    expect(checkSeedDataset(base).messages).toHaveLength(1)
    const broken: [unknown, RegExp][] = [
      [
        { ...base, rooms: [{ roomName: 'general', subscribers: ['bob'] }] },
        /room "general": unknown user "bob"/,
      ],
      [
        { ...base, messages: [{ ...base.messages[0], roomName: 'other' }] },
        /messages.0: room "other" is not in rooms/,
      ],
      [{ ...base, messages: [base.messages[0], base.messages[0]] }, /messages.1: id "m1" used twice/],
      [{ ...base, rooms: [{ roomName: 'a|b', subscribers: ['ada'] }] }, /must not contain "\|"/],
      [{ ...base, messages: [{ ...base.messages[0], time: 'yesterday' }] }, /messages.0.time/],
      [{ ...base, extra: 1, users: [] }, /users/],
      // Times a message key cannot hold: refused by the check, before anything is written.
      [{ ...base, messages: [{ ...base.messages[0], time: -1 }] }, /messages.0.time: -1 is not a time/],
      [{ ...base, messages: [{ ...base.messages[0], time: 1.5 }] }, /messages.0.time: 1.5 is not a time/],
      [
        { ...base, messages: [{ ...base.messages[0], time: 8.64e15 + 1 }] },
        /messages.0.time: .* is not a time/,
      ],
      [
        { ...base, messages: [{ ...base.messages[0], time: Date.UTC(10000, 0, 1) }] },
        /messages.0.time: 253402300800000 is not a time/,
      ],
      [
        { ...base, messages: [{ ...base.messages[0], time: '1969-12-31T23:59:59.999Z' }] },
        /messages.0.time: "1969-12-31T23:59:59.999Z" is not a time/,
      ],
    ]
    for (const [json, message] of broken) {
      let error: unknown
      try {
        checkSeedDataset(json)
      } catch (caught) {
        error = caught
      }
      expect(isChatDbError(error), String(message)).toBe(true)
      expect((error as Error).message).toMatch(message)
    }
  })
})
