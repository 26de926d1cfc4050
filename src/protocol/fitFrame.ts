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
  const trimmed = (keptUsers: number, keptMessages: number): SubscribedFrame => ({
    ...frame,
    users: users.slice(0, keptUsers),
    messages: messages.slice(messages.length - keptMessages),
    truncated: { messages: messages.length - keptMessages, users: users.length - keptUsers },
  })
  // Estimates first, with the frame measured at the full counts in `truncated` (the counts can
  // only shrink, so that reserves room for the digits of the real ones); then steps up while one
  // more still fits, since fewer digits (10 → 9) can leave room for it.
  const fits = (keptUsers: number, keptMessages: number) =>
    frameBytes(trimmed(keptUsers, keptMessages)) <= maxBytes
  let keptUsers = countThatFit(users.map(itemBytes), maxBytes - frameBytes(trimmed(0, 0)))
  while (keptUsers < users.length && fits(keptUsers + 1, 0)) keptUsers++
  // Messages only once every user name is in (a user list without messages beats the reverse).
  if (keptUsers < users.length) return trimmed(keptUsers, 0)
  // Newest messages are worth most: count from the newest backwards. The comma between the
  // users and the messages arrays is in the frame measured already.
  const newestFirst = messages.map(itemBytes).reverse()
  let keptMessages = countThatFit(newestFirst, maxBytes - frameBytes(trimmed(users.length, 0)))
  while (keptMessages < messages.length && fits(users.length, keptMessages + 1)) keptMessages++
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
    // Estimated with the full count in `truncated`, then stepped up as in fitSubscribedFrame.
    let kept = countThatFit(rooms.map(itemBytes), maxBytes - frameBytes(cut(0)))
    while (kept < rooms.length && frameBytes(cut(kept + 1)) <= maxBytes) kept++
    return cut(kept)
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
  let kept = countThatFit(sizes, maxBytes - frameBytes({ ...trimmed(rooms.length), rooms: [] }))
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
