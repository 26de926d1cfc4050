import { describe, expect, it } from 'vitest'
import { decodeItemLine, encodeItemLine, type RawItem, toNativeItem } from '../../../src/admin/dynamoJson.js'

describe('src/admin/dynamoJson', () => {
  describe('decodeItemLine', () => {
    it('keeps attributes named __proto__ or constructor as attributes, at the top and in maps', () => {
      const line =
        '{"Item":{"pk":{"S":"a"},"sk":{"S":"b"},"__proto__":{"S":"x"},"constructor":{"N":"1"},"m":{"M":{"__proto__":{"S":"y"}}}}}'
      const item = decodeItemLine(line, 1)
      expect(Object.keys(item)).toEqual(['pk', 'sk', '__proto__', 'constructor', 'm'])
      expect(Object.entries(item.m?.M ?? {})).toEqual([['__proto__', { S: 'y' }]])
      // Round trip: the export line of the decoded item is the line.
      expect(encodeItemLine(item)).toBe(line)
      expect(Object.keys(toNativeItem(item))).toEqual(['pk', 'sk', '__proto__', 'constructor', 'm'])
    })
  })

  describe('encodeItemLine, decodeItemLine and toNativeItem', () => {
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
        [
          '{"Item":{"pk":{"S":"x"},"sk":{"S":"y"},"a":{"X":"1"}}}',
          /line 3: attribute a must have exactly one/,
        ],
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

    it('refuses empty attribute names, names of 64 KB or more, and empty strings or binaries in a set', () => {
      const line = (attributes: string) => `{"Item":{"pk":{"S":"x"},"sk":{"S":"y"},${attributes}}}`
      const refusals: [string, RegExp][] = [
        [line('"":{"S":"v"}'), /^line 4: an attribute name cannot be empty$/],
        [
          line(`"${'n'.repeat(65_536)}":{"S":"v"}`),
          /^line 4: attribute name "n{20}…" is 65536 bytes \(at most 65535\)$/,
        ],
        [line(`"${'é'.repeat(32_768)}":{"S":"v"}`), /is 65536 bytes/],
        [line('"v":{"SS":["a",""]}'), /^line 4: v: a set \(SS\) cannot hold an empty string$/],
        [line('"v":{"BS":["AA==",""]}'), /^line 4: v: a set \(BS\) cannot hold an empty binary$/],
        [line('"v":{"M":{"tags":{"SS":[""]}}}'), /v\.tags: a set \(SS\) cannot hold an empty string/],
        [line('"v":{"L":[{"BS":[""]}]}'), /v\[0\]: a set \(BS\) cannot hold an empty binary/],
      ]
      for (const [text, message] of refusals) {
        expect(() => decodeItemLine(text, 4), text.slice(0, 80)).toThrow(
          expect.objectContaining({ code: 'validation.option', message: expect.stringMatching(message) }),
        )
      }
      for (const text of [
        line(`"${'n'.repeat(65_535)}":{"S":"v"}`),
        line('"v":{"SS":[" "]}'),
        line('"v":{"S":""}'),
      ]) {
        expect(() => decodeItemLine(text, 1), text.slice(0, 80)).not.toThrow()
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
})
