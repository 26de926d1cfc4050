import { describe, expect, it } from 'vitest'
import { parseDuration } from '../../../src/admin/duration.js'

describe('src/admin/duration', () => {
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
        expect(() => parseDuration(text), text).toThrow(
          expect.objectContaining({ code: 'validation.option' }),
        )
      }
    })
  })
})
