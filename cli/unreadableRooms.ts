import type { UnreadableRoom } from '../src/admin/unreadableRoom.js'
import { escapeText } from './output.js'

/**
 * `inspect rooms` and `cleanup rooms` on rooms whose name chatdb refuses: one line each (the
 * name escaped, the reason and its code), then how many, and `fix`. Nothing when there is none.
 */
export function unreadableLines(unreadable: readonly UnreadableRoom[], fix: string): string[] {
  if (unreadable.length === 0) return []
  return [
    ...unreadable.map(
      (u) => `unreadable room "${escapeText(u.roomName)}": ${escapeText(u.reason)} (${u.code})`,
    ),
    `${unreadable.length} room(s) could not be read; ${fix}`,
  ]
}
