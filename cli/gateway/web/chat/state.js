// The chat page's state: the rooms it is in, what waits for a room, and the room shown. Data
// and the rules of its order only; what is drawn of it is render.js's, what is sent rooms.js's.

/**
 * Joined rooms by name: members as a set (presence frames may repeat), entries (messages in
 * `(time, id)` order, with join/leave notes where they arrived). `count` is the server's
 * subscriber count in a large room (`subscribed.subscriberCount`, then `roomStats`): its
 * `users` are then a sample, so the count is not the set's size. `hidden` is how many names a
 * small room's state left out to fit 128 KB (`truncated.users`).
 */
export const joined = new Map()

/**
 * Rooms whose `subscribe` is on its way, with the frames about them that came first. A room's
 * messages and presence can overtake its state (a large room's fan-out posts from another
 * invocation): applied to no room, or to the state a reconnect is replacing, they would be lost,
 * so they wait and are applied on top of the `subscribed` state.
 */
export const pending = new Map()

/**
 * Messages typed while their room could not take them (disconnected, or rejoining after a
 * reconnect), by room: shown at the end of its log as not sent yet, and sent in order once the
 * room's `subscribed` arrives. A frame sent before that would be refused (not subscribed).
 */
export const outbox = new Map()

/** The room shown, by name; undefined when none is. */
export let active

export function setActive(roomName) {
  active = roomName
}

// Delivery is at least once: the id is the same in every copy of a message.
export const key = (m) => m.id

// Messages are ordered by (time, id): a large room's fan-out delivers them in no set order.
// Ids are ASCII, so comparing them as strings gives the table's own (byte) order.
export const compare = (a, b) => a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
const before = (a, b) => compare(a, b) < 0

/**
 * Puts a message where (time, id) says among the room's messages, and returns its index.
 * Join/leave notes stay where they arrived: a late message goes right before the first message
 * that sorts after it, so it never lands between two messages it should follow.
 */
export function place(room, message) {
  const { entries } = room
  let at = entries.length
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i]
    if (entry.event) continue
    if (!before(message, entry)) break
    at = i
  }
  entries.splice(at, 0, message)
  return at
}

// A large room's count is the server's (approximate, connections); a small room's is its names.
// An approximate count that drifted below the names in hand would read as nonsense: never less.
export const memberCount = (room) =>
  room.count === undefined ? room.users.size + room.hidden : Math.max(room.count, room.users.size)
