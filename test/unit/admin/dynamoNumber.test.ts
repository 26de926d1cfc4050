import { describe, expect, it } from 'vitest'
import { canonicalNumber } from '../../../src/admin/dynamoNumber.js'

describe('src/admin/dynamoNumber', () => {
  describe('canonicalNumber', () => {
    it('gives equal numbers one form and counts significant digits', () => {
      expect(canonicalNumber('1.50').canonical).toBe(canonicalNumber('15e-1').canonical)
      expect(canonicalNumber('-0.0').canonical).toBe('0')
      expect(canonicalNumber('001200').digits).toBe(2)
      expect(canonicalNumber('1.').problem).toBeUndefined()
      expect(canonicalNumber('.5').canonical).toBe(canonicalNumber('0.50').canonical)
    })
  })
})
