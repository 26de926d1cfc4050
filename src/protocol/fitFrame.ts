import type { RoomListFrame, ServerFrame, SubscribedFrame } from './frames.js'

/** API Gateway refuses to post a message larger than 128 KB. */
export const MAX_OUTGOING_FRAME_BYTES = 128 * 1024

/** The size of a frame on the wire: its JSON in UTF-8. */
export function frameBytes(frame: ServerFrame): number {
  return Buffer.byteLength(JSON.stringify(frame), 'utf8')
}

const itemBytes = (item: unknown) => Buffer.byteLength(JSON.stringify(item), 'utf8')

/**
 * How many items of `sizes` (taken from the start) fit in `budget` bytes as JSON array members
 * (a comma between two).
 */
function countThatFit(sizes: readonly number[], budget: number): number {
  let used = 0
  for (let i = 0; i < sizes.length; i++) {
    used += (sizes[i] as number) + (i > 0 ? 1 : 0)
    if (used > budget) return i
  }
  return sizes.length
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
  // The counts can only shrink, so measuring the frame with the full counts in `truncated`
  // reserves enough room for the digits of the real ones.
  const empty: SubscribedFrame = {
    ...frame,
    users: [],
    messages: [],
    truncated: { messages: messages.length, users: users.length },
  }
  let budget = maxBytes - frameBytes(empty)
  // Newest messages are worth most: count from the newest backwards.
  const newestFirst = messages.map(itemBytes).reverse()
  const userSizes = users.map(itemBytes)
  const keptUsers = countThatFit(userSizes, budget)
  let keptMessages = 0
  // Messages only once every user name is in (a user list without messages beats the reverse).
  if (keptUsers === users.length) {
    budget -= userSizes.reduce((sum, size) => sum + size, 0) + Math.max(0, users.length - 1)
    // The comma between the users and the messages arrays is in `empty` already.
    keptMessages = countThatFit(newestFirst, budget)
  }
  const trimmed = (keptMessages: number): SubscribedFrame => ({
    ...frame,
    users: users.slice(0, keptUsers),
    messages: messages.slice(messages.length - keptMessages),
    truncated: { messages: messages.length - keptMessages, users: users.length - keptUsers },
  })
  // The reservation above is for the full counts; the real ones may have fewer digits (10 → 9),
  // which can leave room for one more message: take it while the frame still fits.
  if (keptUsers === users.length) {
    while (keptMessages < messages.length && frameBytes(trimmed(keptMessages + 1)) <= maxBytes) keptMessages++
  }
  return trimmed(keptMessages)
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
    const empty: RoomListFrame = { ...frame, rooms: [], truncated: { rooms: rooms.length } }
    const kept = countThatFit(rooms.map(itemBytes), maxBytes - frameBytes(empty))
    return { ...frame, rooms: rooms.slice(0, kept), truncated: { rooms: rooms.length - kept } }
  }
  const { truncated: _none, ...plain } = frame
  const trimmed = (kept: number): RoomListFrame => {
    const nextCursor = cursorAfter(kept)
    const { nextCursor: _old, ...rest } = plain
    return nextCursor === undefined
      ? { ...rest, rooms: rooms.slice(0, kept) }
      : { ...rest, rooms: rooms.slice(0, kept), nextCursor }
  }
  // A cursor's length depends on where it points, by a few bytes: estimate with the one after
  // every room, then step to the largest count that fits.
  const sizes = rooms.map(itemBytes)
  let kept = countThatFit(sizes, maxBytes - frameBytes({ ...trimmed(rooms.length), rooms: [] }))
  while (kept > 0 && frameBytes(trimmed(kept)) > maxBytes) kept--
  while (kept < rooms.length && frameBytes(trimmed(kept + 1)) <= maxBytes) kept++
  return trimmed(kept)
}

/** Any frame made to fit: the room state and the room list are trimmed; the others are small by construction. */
export function fitFrame<F extends ServerFrame>(frame: F, maxBytes = MAX_OUTGOING_FRAME_BYTES): F {
  if (frame.type === 'subscribed') return fitSubscribedFrame(frame, maxBytes) as F
  if (frame.type === 'roomList') return fitRoomListFrame(frame, maxBytes) as F
  return frame
}
