import { frameBytes, MAX_OUTGOING_FRAME_BYTES } from './fitFrame.js'
import type { UsersUnsubscribedFrame, UserUnsubscribedFrame } from './frames.js'

/**
 * The frames that tell a room's remaining subscribers that `userNames` left it: nothing for no
 * name, a `userUnsubscribed` for one (what a departure has always looked like), otherwise
 * `usersUnsubscribed` frames of the names in sorted order, as many as it takes to keep each
 * within `maxBytes` (a burst of 10,000 names of 50 characters is about 530 KB).
 *
 * @example
 * for (const frame of departureFrames('general', ['ada', 'bob'])) post(frame)
 * // → [{ type: 'usersUnsubscribed', roomName: 'general', userNames: ['ada', 'bob'] }]
 */
export function departureFrames(
  roomName: string,
  userNames: readonly string[],
  maxBytes = MAX_OUTGOING_FRAME_BYTES,
): (UserUnsubscribedFrame | UsersUnsubscribedFrame)[] {
  const names = [...new Set(userNames)].sort()
  const [only] = names
  if (only === undefined) return []
  if (names.length === 1) return [{ type: 'userUnsubscribed', roomName, userName: only }]
  const frames: UsersUnsubscribedFrame[] = []
  const emptyBytes = frameBytes({ type: 'usersUnsubscribed', roomName, userNames: [] })
  let current: string[] = []
  let used = emptyBytes
  for (const name of names) {
    const size = Buffer.byteLength(JSON.stringify(name), 'utf8') + (current.length > 0 ? 1 : 0)
    if (current.length > 0 && used + size > maxBytes) {
      frames.push({ type: 'usersUnsubscribed', roomName, userNames: current })
      current = []
      used = emptyBytes
      used += size - 1
    } else {
      used += size
    }
    current.push(name)
  }
  frames.push({ type: 'usersUnsubscribed', roomName, userNames: current })
  return frames
}
