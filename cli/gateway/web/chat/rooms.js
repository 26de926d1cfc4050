// What the user does to rooms: join one, post in one, leave one, and what follows from it
// (the subscribe sent, the messages typed while it could not be sent, the room dropped).
import { renderJoined, renderRoom, show } from './render.js'
import { problemWith } from './rules.js'
import { isOpen, send } from './socket.js'
import { active, joined, outbox, pending, setActive } from './state.js'
import { notice, ui } from './ui.js'

/** The Name field's name when the server would take it (kept for the next visit); else a notice. */
function userName() {
  const name = ui.name.value.trim()
  const problem = problemWith('userName', name)
  if (problem) {
    notice(problem)
    ui.name.focus()
    return undefined
  }
  localStorage.setItem('chatdb.userName', name)
  return name
}

function subscribe(roomName, name) {
  if (send({ action: 'subscribe', roomName, userName: name }) && !pending.has(roomName)) {
    pending.set(roomName, [])
  }
}

/** Shows a joined room, or asks to join it under the Name field's name. */
export function join(roomName) {
  if (joined.has(roomName)) return show(roomName)
  const problem = problemWith('roomName', roomName)
  if (problem) return notice(problem)
  const name = userName()
  if (name) subscribe(roomName, name)
}

/** Back in every room it was in, after a reconnect: the server forgot the old connection's subscriptions. */
export function rejoinAll() {
  for (const [roomName, room] of joined) subscribe(roomName, room.userName)
}

/** Sends a message to a room, or keeps it in the room's outbox while the room cannot take it. */
export function post(roomName, message) {
  const connected = isOpen() && !pending.has(roomName)
  if (connected && send({ action: 'sendMessage', roomName, message })) return
  outbox.set(roomName, [...(outbox.get(roomName) ?? []), message])
  renderRoom()
}

/** Sends what was typed for a room while it could not take it, in order, as far as the socket goes. */
export function flush(roomName) {
  const queued = outbox.get(roomName) ?? []
  while (queued.length > 0 && send({ action: 'sendMessage', roomName, message: queued[0] })) queued.shift()
  if (queued.length === 0) outbox.delete(roomName)
}

/** Forgets a room the page is no longer in, and shows another. */
export function drop(roomName) {
  pending.delete(roomName)
  outbox.delete(roomName)
  if (!joined.delete(roomName)) return
  if (active === roomName) setActive(joined.keys().next().value)
  renderJoined()
  renderRoom()
}

/** Leaves the room shown. */
export function leave() {
  const roomName = active
  if (roomName && send({ action: 'unsubscribe', roomName })) drop(roomName)
}
