// What the server would refuse in a name or a message, said in its words.

// The limits of src/validation.ts (/limits.js, written by the gateway from it), with its
// messages, so a frame the server would refuse is refused here with the server's words.
const { lengths, delimiter, control, messageControl } = globalThis.chatdbLimits

/** Why the server would refuse `value` as a `roomName`, `userName` or `message`; undefined when it would not. */
export function problemWith(what, value) {
  const length = [...value].length
  if (length < 1) return `${what} must not be empty`
  if (length > lengths[what]) return `${what} must be at most ${lengths[what]} characters (got ${length})`
  if (typeof value.isWellFormed === 'function' && !value.isWellFormed()) {
    return `${what} contains an unpaired surrogate`
  }
  if (what === 'message') {
    if (value.trim() === '') return 'message must not be only whitespace'
    return messageControl.test(value)
      ? 'message must not contain control characters other than tab and line breaks'
      : undefined
  }
  if (value.includes(delimiter)) return `${what} must not contain "${delimiter}" (the key delimiter)`
  if (control.test(value)) return `${what} must not contain control characters`
  return undefined
}
