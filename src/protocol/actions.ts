import { z } from 'zod'
import { isChatDbError } from '../errors.js'
import {
  assertMessageText,
  assertRoomName,
  assertUserName,
  MAX_ROOM_CURSOR_CHARS,
  MAX_ROOM_PAGE_SIZE,
} from '../validation.js'

/** The actions a client may send, by name. */
export const ACTION_NAMES = ['subscribe', 'unsubscribe', 'sendMessage', 'listRooms'] as const
export type ActionName = (typeof ACTION_NAMES)[number]

export interface SubscribeAction {
  action: 'subscribe'
  roomName: string
  userName: string
}

export interface UnsubscribeAction {
  action: 'unsubscribe'
  roomName: string
}

export interface SendMessageAction {
  action: 'sendMessage'
  roomName: string
  message: string
}

export interface ListRoomsAction {
  action: 'listRooms'
  /** Rooms per page, 1–1,000 (default 1,000, as many as fit one frame). */
  limit?: number
  /** A previous `roomList`'s `nextCursor`: where the page starts. */
  cursor?: string
}

export type ClientAction = SubscribeAction | UnsubscribeAction | SendMessageAction | ListRoomsAction

/**
 * An incoming frame may be at most this many bytes (UTF-8). The largest valid frame is a
 * 4,096-character message in a 100-character room; written with every character `\u`-escaped
 * (as some JSON encoders do) that is about 52 KB, so the cap leaves room for it and rejects
 * anything bigger before it is parsed.
 */
export const MAX_INCOMING_FRAME_BYTES = 64 * 1024

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  const type = typeof value
  return `${type === 'object' ? 'an' : 'a'} ${type}`
}

/** A string field checked by the library's own rule (src/validation.ts), so the limits live in one place. */
function checkedString(field: string, assert: (value: unknown) => string) {
  return z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? `"${field}" is required`
          : `"${field}" must be a string, not ${describe(issue.input)}`,
    })
    .superRefine((value, ctx) => {
      try {
        assert(value)
      } catch (error) {
        if (!isChatDbError(error)) throw error
        ctx.addIssue({ code: 'custom', message: error.message })
      }
    })
}

const roomName = checkedString('roomName', assertRoomName)
const userName = checkedString('userName', assertUserName)
const message = checkedString('message', assertMessageText)

/** `listRooms`'s page size: the repository's own bounds (src/repository/roomListing.ts). */
const limit = z
  .number({ error: (issue) => `"limit" must be a number, not ${describe(issue.input)}` })
  .refine((value) => Number.isInteger(value) && value >= 1 && value <= MAX_ROOM_PAGE_SIZE, {
    error: `"limit" must be a whole number from 1 to ${MAX_ROOM_PAGE_SIZE}`,
  })
  .optional()

/** A cursor is checked whole by the repository (`validation.cursor`); here only its type and size. */
const cursor = z
  .string({ error: (issue) => `"cursor" must be a string, not ${describe(issue.input)}` })
  .min(1, { error: '"cursor" must not be empty' })
  .max(MAX_ROOM_CURSOR_CHARS, { error: `"cursor" is longer than ${MAX_ROOM_CURSOR_CHARS} characters` })
  .optional()

/** Extra keys are refused: a misspelt field (`roomname`) should fail loudly, not silently. */
function strictAction<Name extends ActionName, Shape extends z.ZodRawShape>(name: Name, shape: Shape) {
  const allowed = ['action', ...Object.keys(shape)].join(', ')
  return z.strictObject(
    { action: z.literal(name), ...shape },
    {
      error: (issue) => {
        if (issue.code !== 'unrecognized_keys') return undefined
        const keys = issue.keys.map((key) => JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key))
        return `unexpected key${keys.length > 1 ? 's' : ''} ${keys.join(', ')}: "${name}" takes ${allowed}`
      },
    },
  )
}

/** One schema per action (zod 4). Their output types are exactly the action interfaces above. */
export const actionSchemas = {
  subscribe: strictAction('subscribe', { roomName, userName }),
  unsubscribe: strictAction('unsubscribe', { roomName }),
  sendMessage: strictAction('sendMessage', { roomName, message }),
  listRooms: strictAction('listRooms', { limit, cursor }),
} satisfies { [Name in ActionName]: z.ZodType<Extract<ClientAction, { action: Name }>> }

const expected = `expected one of ${ACTION_NAMES.map((name) => `"${name}"`).join(', ')}`

/** First stage: a JSON object with a known `action`; the rest of it is checked by the action's schema. */
const envelope = z.looseObject(
  {
    action: z.enum(ACTION_NAMES, {
      error: (issue) => {
        if (issue.input === undefined) return `"action" is required: ${expected}`
        if (typeof issue.input !== 'string') return `"action" must be a string, not ${describe(issue.input)}`
        return `unknown action: ${expected}`
      },
    }),
  },
  {
    error: (issue) =>
      `a frame must be a JSON object like {"action":"listRooms"}, not ${describe(issue.input)}`,
  },
)

export type ParseResult =
  | { ok: true; action: ClientAction }
  | {
      ok: false
      /** The action's name, when the frame got far enough to name a known one. */
      action?: ActionName
      message: string
    }

function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return [...new Set(issues.map((issue) => issue.message))].join('; ')
}

/**
 * Parses and validates one incoming frame (the raw WebSocket body). Never throws for bad input:
 * it says what is wrong in words fit for the client.
 *
 * @example
 * const result = parseAction('{"action":"subscribe","roomName":"general","userName":"ada"}')
 * if (result.ok) result.action.roomName // 'general'
 */
export function parseAction(body: string | undefined): ParseResult {
  if (body === undefined || body.length === 0) {
    return { ok: false, message: 'empty frame: send a JSON object like {"action":"listRooms"}' }
  }
  const bytes = Buffer.byteLength(body, 'utf8')
  if (bytes > MAX_INCOMING_FRAME_BYTES) {
    return { ok: false, message: `frame is ${bytes} bytes; the limit is ${MAX_INCOMING_FRAME_BYTES}` }
  }
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    return { ok: false, message: 'frame is not valid JSON' }
  }
  const head = envelope.safeParse(json)
  if (!head.success) return { ok: false, message: formatIssues(head.error.issues) }
  const name = head.data.action
  const parsed = actionSchemas[name].safeParse(json)
  if (!parsed.success) return { ok: false, action: name, message: formatIssues(parsed.error.issues) }
  return { ok: true, action: parsed.data }
}
