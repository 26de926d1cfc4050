/**
 * Text from the table (messages, room and user names, anything echoed from input) on its way to
 * an operator's terminal. A chat user chooses those characters: a `\r` or a `\n` in a message
 * would let them print a line of their own over a table row (a forged message "from admin"), an
 * ANSI escape sequence would recolour or clear the operator's terminal, and bidi overrides
 * reorder what is shown. Human output shows such characters escaped; `--json` keeps the text as
 * stored.
 */

// C0 and C1 controls and DEL (\p{Cc}: ESC, \r, \n, \t...), the Unicode line and paragraph
// separators, the bidirectional embeddings, overrides and isolates ("Trojan Source"), the byte
// order mark, and lone surrogates (with the `u` flag a surrogate class matches unpaired ones only).
const UNSAFE = /[\p{Cc}\u2028\u2029\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]/gu

const NAMED: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' }

/**
 * The text with every unsafe character shown as an escape: `\r`, `\n`, `\t`, `\x1b` (below
 * U+0100), `\u2028` (above). Everything else, emoji and other scripts included, is kept.
 *
 * @example
 * escapeText('hi\r\x1b[31madmin') // 'hi\\r\\x1b[31madmin'
 */
export function escapeText(text: string): string {
  return text.replace(UNSAFE, (char) => {
    const named = NAMED[char]
    if (named !== undefined) return named
    const code = char.charCodeAt(0)
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`
  })
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' })

/** User-perceived characters: an emoji with its modifiers, a letter with its accents, count one. */
export function graphemes(text: string): string[] {
  return Array.from(segmenter.segment(text), (s) => s.segment)
}

// East Asian wide and fullwidth characters take two terminal columns (as cli-table3 measures).
const WIDE =
  /^[\u1100-\u115f\u2e80-\u303e\u3041-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{20000}-\u{3fffd}]/u
const EMOJI = /\p{Extended_Pictographic}|\p{Regional_Indicator}/u

/** Terminal columns of one grapheme: 2 for emoji and East Asian wide characters, else 1. */
function columnsOf(grapheme: string): number {
  return EMOJI.test(grapheme) || WIDE.test(grapheme) ? 2 : 1
}

/** Terminal columns of a text (escaped first: controls are no longer in it). */
export function textWidth(text: string): number {
  let width = 0
  for (const grapheme of graphemes(text)) width += columnsOf(grapheme)
  return width
}

/**
 * At most `width` terminal columns: longer text is cut and ends in `…`. Cuts fall between
 * graphemes, so neither a surrogate pair nor an emoji sequence is ever split.
 *
 * @example
 * cut('a long message', 6) // 'a lon…'
 */
export function cut(text: string, width: number): string {
  if (textWidth(text) <= width) return text
  if (width <= 0) return ''
  let kept = ''
  let used = 0
  for (const grapheme of graphemes(text)) {
    const columns = columnsOf(grapheme)
    if (used + columns > width - 1) break
    kept += grapheme
    used += columns
  }
  return `${kept}…`
}

/** Width of tables when stdout is no terminal and `COLUMNS` says nothing. */
export const DEFAULT_TABLE_WIDTH = 120

/** The narrowest a cut column gets: narrower than this, cells say too little to be worth it. */
const MIN_COLUMN_WIDTH = 8

/**
 * The widest any column may be for a table of these cells to fit in `totalWidth` terminal
 * columns (cli-table3 adds a space either side of each cell and a border between: 3 per column
 * plus 1), or `Infinity` when it fits as it is. Only the widest columns are narrowed: short
 * ones (times, counts, ids) keep their full text.
 */
export function columnCap(cells: readonly (readonly string[])[], totalWidth: number): number {
  const columns = Math.max(0, ...cells.map((row) => row.length))
  const widths = Array.from({ length: columns }, (_, i) =>
    Math.max(0, ...cells.map((row) => textWidth(row[i] ?? ''))),
  )
  const available = totalWidth - 3 * columns - 1
  const total = (cap: number) => widths.reduce((sum, w) => sum + Math.min(w, cap), 0)
  if (total(Number.POSITIVE_INFINITY) <= available) return Number.POSITIVE_INFINITY
  let cap = Math.max(...widths)
  while (cap > MIN_COLUMN_WIDTH && total(cap) > available) cap--
  return cap
}

/** Cells escaped, then cut so the table fits `totalWidth` (see {@link columnCap}). */
export function fitTable(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  totalWidth: number,
): { head: string[]; rows: string[][] } {
  const safeHead = head.map(escapeText)
  const safeRows = rows.map((row) => row.map(escapeText))
  const cap = columnCap([safeHead, ...safeRows], totalWidth)
  const fit = (cell: string) => (Number.isFinite(cap) ? cut(cell, cap) : cell)
  return { head: safeHead.map(fit), rows: safeRows.map((row) => row.map(fit)) }
}

/** The terminal's width for tables: its columns on a TTY, else `COLUMNS`, else the default. */
export function tableWidth(stream: { isTTY?: boolean; columns?: number }, env = process.env): number {
  if (stream.isTTY && stream.columns && stream.columns > 0) return stream.columns
  const columns = Number(env.COLUMNS)
  return Number.isInteger(columns) && columns > 0 ? columns : DEFAULT_TABLE_WIDTH
}
