// What the chat page and the operator view show the same way: names with their invisible
// controls escaped, and times. Loaded before each page's own script, as `chatdbFormat`.
;(() => {
  // The characters cli/safeText.ts escapes for a terminal: controls, the line and paragraph
  // separators, the bidi marks, embeddings, overrides and isolates ("Trojan Source"), the byte
  // order mark and lone surrogates. In a name they would reorder or hide what is shown.
  const UNSAFE = /[\p{Cc}\u2028\u2029\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]/gu
  const NAMED = { '\t': '\\t', '\n': '\\n', '\r': '\\r' }

  /** The text with every unsafe character shown as an escape, as the CLI shows it: `\u202e`. */
  function escapeText(text) {
    return text.replace(UNSAFE, (char) => {
      const named = NAMED[char]
      if (named !== undefined) return named
      const code = char.charCodeAt(0)
      return code < 0x100
        ? `\\x${code.toString(16).padStart(2, '0')}`
        : `\\u${code.toString(16).padStart(4, '0')}`
    })
  }

  const CLOCK = { hour: '2-digit', minute: '2-digit', second: '2-digit' }
  const sameDay = (a, b) =>
    a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate()

  /** A time of today as `14:03:07`; of another day with its date (`Dec 5, 14:03:07`, the year when not this one). */
  function when(ms, now = new Date()) {
    const date = new Date(ms)
    if (sameDay(date, now)) return date.toLocaleTimeString([], CLOCK)
    const year = date.getFullYear() === now.getFullYear() ? {} : { year: 'numeric' }
    return date.toLocaleString([], { month: 'short', day: 'numeric', ...year, ...CLOCK })
  }

  globalThis.chatdbFormat = Object.freeze({ escapeText, when })
})()
