import { describe, expect, it } from 'vitest'
import type { RawItem } from '../../../src/admin/dynamoJson.js'
import { checkImportItem, itemBytes, keyAttributesOf } from '../../../src/admin/importCheck.js'
import { isChatDbError } from '../../../src/errors.js'
import { tableDefinition } from '../../../src/table.js'

describe('src/admin/importCheck', () => {
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
})
