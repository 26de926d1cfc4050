import type { RoomListFrame, ServerFrame, SubscribedFrame } from './frames.js'

/** API Gateway refuses to post a message larger than 128 KB. */
export const MAX_OUTGOING_FRAME_BYTES = 128 * 1024

/** The size of a frame on the wire: its JSON in UTF-8. */
export function frameBytes(frame: ServerFrame): number {
  return Buffer.byteLength(JSON.stringify(frame))
}

const itemBytes = (item: unknown) => Buffer.byteLength(JSON.stringify(item))

/** The bytes of a count in `truncated`: its digits. */
const digits = (count: number) => String(count).length

/**
 * How many items of `sizes` (taken from the start) fit in `budget` bytes as JSON array members
 * (a comma between two), with `leftOut(n)` bytes more when n items are left out. The first item
 * that does not fit ends the count: an item adds at least 2 bytes (`""`, `{}`) and one fewer
 * left out takes at most one digit off, so a frame only grows with each item kept.
 */
function mostThatFit(sizes: readonly number[], budget: number, leftOut: (count: number) => number): number {
  let kept = 0
  let used = 0
  for (const size of sizes) {
    used += size + (kept > 0 ? 1 : 0)
    if (used + leftOut(sizes.length - kept - 1) > budget) break
    kept++
  }
  return kept
}

/**
 * Trims a room state to `maxBytes`: the oldest messages go first, then user names from the end
 * of the sorted list; `truncated` tells how many of each were left out. Frames that fit are
 * returned unchanged (without `truncated`).
 *
 * @example
 * const frame = fitSubscribedFrame({ type: 'subscribed', roomName, users, messages })
 * if (frame.truncated) console.log(`${frame.truncated.messages} older messages not shown`)
 */
export function fitSubscribedFrame(
  frame: SubscribedFrame,
  maxBytes = MAX_OUTGOING_FRAME_BYTES,
): SubscribedFrame {
  if (frameBytes(frame) <= maxBytes) return frame
  const { messages, users } = frame
  const trimmed = (keptUsers: number, keptMessages: number): SubscribedFrame => ({
    ...frame,
    users: users.slice(0, keptUsers),
    messages: messages.slice(messages.length - keptMessages),
    truncated: { messages: messages.length - keptMessages, users: users.length - keptUsers },
  })
  // Exact: the frame measured without the items being counted, less the digits of their count
  // in `truncated`, plus what each kept item adds (its bytes, a comma) and its count's digits.
  const userBudget = maxBytes - frameBytes(trimmed(0, 0)) + digits(users.length)
  const keptUsers = mostThatFit(users.map(itemBytes), userBudget, digits)
  // Messages only once every user name is in (a user list without messages beats the reverse).
  if (keptUsers < users.length) return trimmed(keptUsers, 0)
  // Newest messages are worth most: count from the newest backwards. The comma between the
  // users and the messages arrays is in the frame measured already.
  const newestFirst = messages.map(itemBytes).reverse()
  const messageBudget = maxBytes - frameBytes(trimmed(users.length, 0)) + digits(messages.length)
  const keptMessages = mostThatFit(newestFirst, messageBudget, digits)
  return trimmed(users.length, keptMessages)
}

/**
 * Trims a room list to `maxBytes`, keeping the oldest rooms (the list is in creation order).
 * Given `cursorAfter` (the repository page's own), a trimmed list carries
 * `nextCursor` pointing right after its last room, so a client paging on loses no room;
 * without it, `truncated.rooms` says how many of the newest were left out.
 *
 * @example
 * const page = await repository.activeRoomsPage({ limit })
 * const frame = fitRoomListFrame({ type: 'roomList', rooms: page.rooms, nextCursor: page.nextCursor }, undefined, page.cursorAfter)
 */
export function fitRoomListFrame(
  frame: RoomListFrame,
  maxBytes = MAX_OUTGOING_FRAME_BYTES,
  cursorAfter?: (count: number) => string | undefined,
): RoomListFrame {
  if (frameBytes(frame) <= maxBytes) return frame
  const { rooms } = frame
  if (!cursorAfter) {
    const cut = (kept: number): RoomListFrame => ({
      ...frame,
      rooms: rooms.slice(0, kept),
      truncated: { rooms: rooms.length - kept },
    })
    // Exact, as in fitSubscribedFrame.
    const budget = maxBytes - frameBytes(cut(0)) + digits(rooms.length)
    return cut(mostThatFit(rooms.map(itemBytes), budget, digits))
  }
  const { truncated: _none, ...plain } = frame
  const trimmed = (kept: number): RoomListFrame => {
    const nextCursor = cursorAfter(kept)
    const { nextCursor: _old, ...rest } = plain
    const page = rooms.slice(0, kept)
    return nextCursor === undefined ? { ...rest, rooms: page } : { ...rest, rooms: page, nextCursor }
  }
  // A cursor's length depends on where it points, by a few bytes: estimate with the one after
  // every room, then step to the largest count that fits.
  const sizes = rooms.map(itemBytes)
  let kept = mostThatFit(sizes, maxBytes - frameBytes({ ...trimmed(rooms.length), rooms: [] }), () => 0)
  const fits = (count: number) => frameBytes(trimmed(count)) <= maxBytes
  if (fits(kept)) while (kept < rooms.length && fits(kept + 1)) kept++
  else while (kept > 0 && !fits(kept)) kept--
  return trimmed(kept)
}

/** Any frame made to fit: the room state and the room list are trimmed; the others are small by construction. */
export function fitFrame<F extends ServerFrame>(frame: F, maxBytes = MAX_OUTGOING_FRAME_BYTES): F {
  if (frame.type === 'subscribed') return fitSubscribedFrame(frame, maxBytes) as F
  if (frame.type === 'roomList') return fitRoomListFrame(frame, maxBytes) as F
  return frame
}
