/**
 * The characters SQS carries in a message body (its API reference: `#x9 | #xA | #xD |
 * #x20–#xD7FF | #xE000–#xFFFD | #x10000–#x10FFFF`); anything else fails the entry with
 * `InvalidMessageContents`. With the `u` flag an unpaired surrogate is a code point of its own,
 * outside every range, so it is refused too, as SQS refuses it.
 */
const REFUSED_BY_SQS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u

/**
 * The first character of `text` SQS would refuse, written `U+XXXX`, or undefined when SQS takes
 * all of it. The protocol refuses such names and messages (src/validation.ts) and the memory
 * queue refuses such bodies, both by this one rule.
 *
 * @example
 * refusedBySqs('hello') // undefined
 * refusedBySqs('a\uFFFEb') // 'U+FFFE'
 */
export function refusedBySqs(text: string): string | undefined {
  const found = REFUSED_BY_SQS.exec(text)?.[0]
  return found === undefined
    ? undefined
    : `U+${(found.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`
}
