// What each frame of the server's does to the page's state, and the frames that overtook their
// room's state held back until it arrives (docs/protocol.md).
import { renderJoined, renderMembers, renderMessageAt, renderRoom, shown } from './render.js'
import { abandonWalk, listed, listRooms } from './roomList.js'
import { drop, flush } from './rooms.js'
import { active, compare, joined, key, outbox, pending, place, setActive } from './state.js'
import { notice, ui } from './ui.js'

/** The frames about a room that wait while its `subscribe` is on its way (see `pending`), at most MAX_WAITING a room. */
const WAITS = new Set(['newMessage', 'userSubscribed', 'userUnsubscribed', 'usersUnsubscribed', 'roomStats'])
const MAX_WAITING = 1000

/** Applies the frames that waited for a room's state (or for an answer that never came). */
function release(roomName) {
  const waiting = pending.get(roomName) ?? []
  pending.delete(roomName)
  for (const frame of waiting) handlers[frame.type](frame)
}

const handlers = {
  subscribed(frame) {
    const previous = joined.get(frame.roomName)
    joined.set(frame.roomName, {
      userName: previous?.userName ?? ui.name.value.trim(),
      users: new Set(frame.users),
      count: frame.subscriberCount,
      hidden: frame.subscriberCount === undefined ? (frame.truncated?.users ?? 0) : 0,
      entries: frame.messages.map((m) => ({ ...m })).sort(compare),
      seen: new Set(frame.messages.map(key)),
    })
    if (!previous) setActive(frame.roomName)
    // A room typed in and joined: the Room field has done its job (a failed join keeps it).
    if (ui.room.value.trim() === frame.roomName) ui.room.value = ''
    renderJoined()
    renderRoom()
    release(frame.roomName)
    if (outbox.has(frame.roomName)) {
      flush(frame.roomName)
      if (frame.roomName === active) renderRoom()
    }
    listRooms()
  },
  unsubscribed(frame) {
    drop(frame.roomName)
    listRooms()
  },
  userSubscribed(frame) {
    const room = joined.get(frame.roomName)
    if (room && !room.users.has(frame.userName)) {
      room.users.add(frame.userName)
      room.entries.push({ event: `${shown(frame.userName)} joined` })
      if (frame.roomName === active) renderRoom()
    }
    listRooms()
  },
  // A large room's count, sent now and then while its membership changes (in place of
  // per-member presence). A room that grew large while joined switches to it here.
  roomStats(frame) {
    const room = joined.get(frame.roomName)
    if (!room || !Number.isFinite(frame.subscriberCount)) return
    room.count = frame.subscriberCount
    room.hidden = 0
    if (frame.roomName === active) renderMembers(room)
  },
  userUnsubscribed(frame) {
    handlers.usersUnsubscribed({ roomName: frame.roomName, userNames: [frame.userName] })
  },
  // A big room's burst of departures in one frame: each name leaves as with userUnsubscribed.
  usersUnsubscribed(frame) {
    const room = joined.get(frame.roomName)
    const left = room ? frame.userNames.filter((name) => room.users.delete(name)) : []
    if (left.length > 0) {
      const names =
        left.length <= 5
          ? left.map(shown).join(', ')
          : `${left.slice(0, 5).map(shown).join(', ')} and ${left.length - 5} others`
      room.entries.push({ event: `${names} left` })
      if (frame.roomName === active) renderRoom()
    }
    listRooms()
  },
  newMessage(frame) {
    const room = joined.get(frame.roomName)
    // Delivery is at least once: a retried send may be posted twice.
    if (!room || room.seen.has(key(frame.message))) return
    room.seen.add(key(frame.message))
    const at = place(room, { ...frame.message })
    if (frame.roomName === active) renderMessageAt(frame.message, at)
  },
  roomList: listed,
  error(frame) {
    // A refused or failed subscribe names no room: none of the pending ones waits any longer.
    if (frame.action === 'subscribe') for (const roomName of [...pending.keys()]) release(roomName)
    // A page that failed (a cursor outdated by a server restart) ends the walk; the timer retries.
    if (frame.action === 'listRooms') abandonWalk()
    notice(`Error ${frame.statusCode}${frame.action ? ` (${frame.action})` : ''}: ${frame.message}`)
  },
}

/** A frame of the server's: applied, held back while its room's state is on its way, or (unknown) ignored. */
export function receive(frame) {
  const waiting = WAITS.has(frame?.type) && pending.get(frame.roomName)
  if (waiting) {
    if (waiting.length < MAX_WAITING) waiting.push(frame)
    return
  }
  if (Object.hasOwn(handlers, frame?.type)) handlers[frame.type](frame)
}
