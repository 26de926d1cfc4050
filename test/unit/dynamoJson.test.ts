import { describe, expect, it } from 'vitest'
import { decodeItemLine, encodeItemLine, toNativeItem } from '../../src/admin/dynamoJson.js'

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
})
