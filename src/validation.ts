import { ChatDbError, type ChatDbErrorCode } from './errors.js'

/** Limits from the product contract (docs/protocol.md: names and messages). Lengths count Unicode code points. */
export const limits = {
  roomName: 100,
  userName: 50,
  message: 4096,
  connectionId: 128,
} as const

// C0 and C1 control characters and DEL.
const CONTROL = /\p{Cc}/u
const DELIMITER = '|'

function codePoints(value: string): number {
  let count = 0
  for (const _ of value) count++
  return count
}

function checkText(
  value: unknown,
  what: string,
  code: ChatDbErrorCode,
  max: number,
  { allowControl = false, allowDelimiter = false } = {},
): string {
  if (typeof value !== 'string') throw new ChatDbError(code, `${what} must be a string`)
  const length = codePoints(value)
  if (length < 1) throw new ChatDbError(code, `${what} must not be empty`)
  if (length > max) throw new ChatDbError(code, `${what} must be at most ${max} characters (got ${length})`)
  if (!value.isWellFormed()) throw new ChatDbError(code, `${what} contains an unpaired surrogate`)
  if (!allowDelimiter && value.includes(DELIMITER)) {
    throw new ChatDbError(code, `${what} must not contain "${DELIMITER}" (the key delimiter)`)
  }
  if (!allowControl && CONTROL.test(value))
    throw new ChatDbError(code, `${what} must not contain control characters`)
  return value
}

/** A room name: 1–100 characters, no `|`, no control characters. */
export function assertRoomName(value: unknown): string {
  return checkText(value, 'roomName', 'validation.roomName', limits.roomName)
}

/** A user name: 1–50 characters, no `|`, no control characters. */
export function assertUserName(value: unknown): string {
  return checkText(value, 'userName', 'validation.userName', limits.userName)
}

// Control characters other than tab, line feed and carriage return.
const MESSAGE_CONTROL = /[^\P{Cc}\t\n\r]/u

/** Message text: 1–4,096 characters; `|`, tabs and line breaks are fine (it is never part of a key). */
export function assertMessageText(value: unknown): string {
  const text = checkText(value, 'message', 'validation.message', limits.message, {
    allowControl: true,
    allowDelimiter: true,
  })
  if (MESSAGE_CONTROL.test(text)) {
    throw new ChatDbError(
      'validation.message',
      'message must not contain control characters other than tab and line breaks',
    )
  }
  return text
}

/** A connection id as API Gateway issues them; it is part of a key, so the key rules apply. */
export function assertConnectionId(value: unknown): string {
  return checkText(value, 'connectionId', 'validation.connectionId', limits.connectionId)
}
