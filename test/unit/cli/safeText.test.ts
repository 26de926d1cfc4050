import { describe, expect, it } from 'vitest'
import { columnCap, cut, escapeText, fitTable, tableWidth, textWidth } from '../../../cli/safeText.js'

describe('cli/safeText', () => {
  describe('escapeText', () => {
    it('shows controls, line separators, bidi overrides and lone surrogates as escapes', () => {
      expect(escapeText('a\rb\nc\td')).toBe('a\\rb\\nc\\td')
      expect(escapeText('\x1b[31mred\x7f\x9b')).toBe('\\x1b[31mred\\x7f\\x9b')
      expect(escapeText('x\u2028y\u2029z\u202eabc\u2066')).toBe('x\\u2028y\\u2029z\\u202eabc\\u2066')
      expect(escapeText('lone \ud83d end')).toBe('lone \\ud83d end')
    })

    it('keeps ordinary text, other scripts and emoji (joiners included) as they are', () => {
      const text = 'héllo 世界 👩‍👩‍👧 👍🏽 | "quoted" \\ back'
      expect(escapeText(text)).toBe(text)
    })
  })

  describe('cut', () => {
    it('cuts by grapheme with an ellipsis and never splits a surrogate pair or an emoji sequence', () => {
      expect(cut('abcdef', 6)).toBe('abcdef')
      expect(cut('abcdefg', 6)).toBe('abcde…')
      // Emoji and East Asian wide characters take two columns, as cli-table3 measures them.
      expect(cut('ab😀😀😀', 5)).toBe('ab😀…')
      expect(cut('ab😀😀😀', 4)).toBe('ab…')
      expect(cut('世界世界世界', 5)).toBe('世界…')
      expect(textWidth('世界 ok 👍🏽')).toBe(10)
      expect(cut('👩‍👩‍👧👩‍👩‍👧👩‍👩‍👧', 3)).toBe('👩‍👩‍👧…')
      for (let width = 1; width < 8; width++) {
        expect(cut('😀'.repeat(10), width)).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/u)
      }
    })
  })

  describe('columnCap and fitTable', () => {
    it('leaves a table that fits alone, and narrows only the widest columns of one that does not', () => {
      expect(
        columnCap(
          [
            ['time', 'message'],
            ['2026', 'short'],
          ],
          80,
        ),
      ).toBe(Number.POSITIVE_INFINITY)
      const rows = [['2026-01-01T00:00:00.000Z', 'ada', 'm'.repeat(500)]]
      const { rows: fitted } = fitTable(['time', 'user', 'message'], rows, 80)
      const [time, user, message] = fitted[0] as [string, string, string]
      expect(time).toBe('2026-01-01T00:00:00.000Z')
      expect(user).toBe('ada')
      // 80 columns, less 3 per column and 1: 70 for the cells; 24 + 4 taken, 42 left (… included).
      expect(message).toBe(`${'m'.repeat(41)}…`)
    })
  })

  describe('tableWidth', () => {
    it("is the terminal's width, else COLUMNS, else 120", () => {
      expect(tableWidth({ isTTY: true, columns: 90 }, {})).toBe(90)
      expect(tableWidth({ isTTY: false }, { COLUMNS: '200' })).toBe(200)
      expect(tableWidth({ isTTY: false }, {})).toBe(120)
      expect(tableWidth({ isTTY: false }, { COLUMNS: 'wide' })).toBe(120)
    })
  })
})
