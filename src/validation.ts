import { ChatDbError, type ChatDbErrorCode } from './errors.js'
import { refusedBySqs } from './queue/queueText.js'

/** Limits from the product contract (docs/protocol.md: names and messages). Lengths count Unicode code points. */
export const limits = {
  roomName: 100,
  userName: 50,
  message: 4096,
  connectionId: 128,
} as const

/** The most rooms a `listRooms` page may ask for. */
export const MAX_ROOM_PAGE_SIZE = 1_000
/** The longest room-listing cursor accepted (64 shards with 100-character names stay well below it). */
export const MAX_ROOM_CURSOR_CHARS = 16_384

/** C0 and C1 control characters and DEL: refused in names. */
export const CONTROL = /\p{Cc}/u
/** Control characters other than tab, line feed and carriage return: refused in messages. */
export const MESSAGE_CONTROL = /[^\P{Cc}\t\n\r]/u
/** The key delimiter: refused in names, which are parts of keys. */
export const DELIMITER = '|'

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
  { control = CONTROL, controlRule = 'control characters', allowDelimiter = false } = {},
): string {
  if (typeof value !== 'string') throw new ChatDbError(code, `${what} must be a string`)
  const length = codePoints(value)
  if (length < 1) throw new ChatDbError(code, `${what} must not be empty`)
  if (length > max) throw new ChatDbError(code, `${what} must be at most ${max} characters (got ${length})`)
  if (!value.isWellFormed()) throw new ChatDbError(code, `${what} contains an unpaired surrogate`)
  if (!allowDelimiter && value.includes(DELIMITER)) {
    throw new ChatDbError(code, `${what} must not contain "${DELIMITER}" (the key delimiter)`)
  }
  if (control.test(value)) throw new ChatDbError(code, `${what} must not contain ${controlRule}`)
  // Names and messages travel in large rooms' fan-out jobs: what SQS refuses (by now only the
  // noncharacters U+FFFE and U+FFFF) is refused here, for every room, before anything is stored.
  const refused = refusedBySqs(value)
  if (refused !== undefined) {
    throw new ChatDbError(
      code,
      `${what} must not contain ${refused} (a noncharacter the fan-out queue cannot carry)`,
    )
  }
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

/**
 * Message text: 1–4,096 characters, not only whitespace (what `String.prototype.trim` removes);
 * `|`, tabs and line breaks are fine (it is never part of a key).
 */
export function assertMessageText(value: unknown): string {
  const text = checkText(value, 'message', 'validation.message', limits.message, {
    control: MESSAGE_CONTROL,
    controlRule: 'control characters other than tab and line breaks',
    allowDelimiter: true,
  })
  if (text.trim() === '') throw new ChatDbError('validation.message', 'message must not be only whitespace')
  return text
}

/** A connection id as API Gateway issues them; it is part of a key, so the key rules apply. */
export function assertConnectionId(value: unknown): string {
  return checkText(value, 'connectionId', 'validation.connectionId', limits.connectionId)
}
