import { type ChatDbErrorCode, isChatDbError } from '../errors.js'
import { assertRoomName } from '../validation.js'

/**
 * A room the table holds under a name chatdb refuses (`|`, control characters, too long): put
 * there by an import or by other code, never by chatdb's own writes. Its keys are ambiguous
 * (`Subscription|a|1` is also shard 1 of room `a`), so the operator commands report it and read
 * on, instead of reading or settling it.
 */
export interface UnreadableRoom {
  roomName: string
  code: ChatDbErrorCode
  reason: string
}

/** Why chatdb cannot read a room of this name; undefined when it can. */
export function unreadableRoom(roomName: string): UnreadableRoom | undefined {
  try {
    assertRoomName(roomName)
    return undefined
  } catch (error) {
    if (isChatDbError(error)) return { roomName, code: error.code, reason: error.message }
    throw error
  }
}

/**
 * Splits room names into those chatdb can read and those it reports as {@link UnreadableRoom}.
 *
 * @example
 * const { readable, unreadable } = sortOutRooms(['general', 'a|b'])
 */
export function sortOutRooms(names: Iterable<string>): { readable: string[]; unreadable: UnreadableRoom[] } {
  const readable: string[] = []
  const unreadable: UnreadableRoom[] = []
  for (const name of names) {
    const problem = unreadableRoom(name)
    if (problem) unreadable.push(problem)
    else readable.push(name)
  }
  return { readable, unreadable }
}

/** What an operator does about unreadable rooms: chatdb's own commands cannot address them. */
export const UNREADABLE_ROOM_FIX =
  'chatdb cannot settle or remove a room by such a name: export the table (chatdb export --out backup.jsonl), delete the lines of that room (items whose roomName, or for its listing record data, is the name above), and import the file into a new table (chatdb import backup.jsonl --table <new> --create-table)'
