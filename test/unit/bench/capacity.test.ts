import { describe, expect, it } from 'vitest'
import { itemSize, readUnits, valueSize, writeUnits } from '../../../bench/capacity.js'

describe('capacity', () => {
  describe('valueSize', () => {
    it('counts strings in UTF-8 bytes', () => {
      expect(valueSize({ S: 'abc' })).toBe(3)
      expect(valueSize({ S: 'é' })).toBe(2)
    })

    it('counts numbers as 1 byte per two significant digits plus 1', () => {
      expect(valueSize({ N: '7' })).toBe(2)
      expect(valueSize({ N: '1800000000000' })).toBe(2)
      expect(valueSize({ N: '1234567' })).toBe(5)
      expect(valueSize({ N: '-12.50' })).toBe(3)
      expect(valueSize({ N: '0' })).toBe(1)
    })

    it('counts booleans and nulls as 1 byte, lists and maps as 3 bytes plus 1 per element', () => {
      expect(valueSize({ BOOL: true })).toBe(1)
      expect(valueSize({ NULL: true })).toBe(1)
      expect(valueSize({ L: [{ S: 'ab' }, { BOOL: false }] })).toBe(3 + 1 + 2 + 1 + 1)
      expect(valueSize({ M: { k: { S: 'v' } } })).toBe(3 + 1 + 1 + 1)
      expect(valueSize({ SS: ['a', 'bc'] })).toBe(3)
      expect(valueSize({ B: new Uint8Array(10) })).toBe(10)
    })
  })

  describe('itemSize', () => {
    it('adds attribute name lengths to value sizes', () => {
      expect(itemSize({ pk: { S: 'Room' }, sk: { S: 'abc' }, n: { N: '12' } })).toBe(2 + 4 + 2 + 3 + 1 + 2)
    })
  })

  describe('readUnits', () => {
    it('charges 1 RCU per 4 KB rounded up, at least 1, half when eventually consistent', () => {
      expect(readUnits(0, { consistent: true })).toBe(1)
      expect(readUnits(4096, { consistent: true })).toBe(1)
      expect(readUnits(4097, { consistent: true })).toBe(2)
      expect(readUnits(4097, { consistent: false })).toBe(1)
      expect(readUnits(100 * 4096, { consistent: false })).toBe(50)
    })
  })

  describe('writeUnits', () => {
    it('charges 1 WCU per 1 KB rounded up, at least 1', () => {
      expect(writeUnits(0)).toBe(1)
      expect(writeUnits(1024)).toBe(1)
      expect(writeUnits(1025)).toBe(2)
      expect(writeUnits(10 * 1024)).toBe(10)
    })
  })
})
