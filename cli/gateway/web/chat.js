// The chat page of the local gateway (`chatdb serve`): its forms, and the start. Plain JS
// modules on purpose (no build step), one job each, in chat/:
// - ui.js: the page's elements and notices;      - rules.js: what the server would refuse;
// - state.js: the rooms joined and what waits;   - render.js: what is drawn of that state;
// - socket.js: the WebSocket and its reconnects; - rooms.js: joining, posting and leaving;
// - roomList.js: the Rooms list, page by page;   - frames.js: what each server frame does.
// Every user-provided string goes into the page with textContent, never innerHTML.
import { receive } from './chat/frames.js'
import { renderRoom } from './chat/render.js'
import { keepListing, stopListing } from './chat/roomList.js'
import { join, leave, post, rejoinAll } from './chat/rooms.js'
import { problemWith } from './chat/rules.js'
import { connect } from './chat/socket.js'
import { active, joined, pending } from './chat/state.js'
import { notice, ui } from './chat/ui.js'

ui.name.value = localStorage.getItem('chatdb.userName') ?? ''
ui.name.addEventListener('change', () => {
  const name = ui.name.value.trim()
  if (!problemWith('userName', name)) localStorage.setItem('chatdb.userName', name)
})
// The Room field keeps what was typed until the join happened (its `subscribed`, which clears
// it): a refused or failed join, or one tried while disconnected, leaves it to retry or correct.
ui.joinForm.addEventListener('submit', (event) => {
  event.preventDefault()
  const roomName = ui.room.value.trim()
  join(roomName)
  if (joined.has(roomName)) ui.room.value = ''
})
ui.sendForm.addEventListener('submit', (event) => {
  event.preventDefault()
  if (!active) return
  const message = ui.message.value
  const problem = problemWith('message', message)
  if (problem) return notice(problem)
  ui.message.value = ''
  post(active, message)
})
ui.leave.addEventListener('click', leave)
renderRoom()
connect({
  opened() {
    keepListing()
    rejoinAll()
  },
  received: receive,
  closed() {
    // The reconnect subscribes again; frames of the old connection's subscribes are moot.
    pending.clear()
    stopListing()
  },
})
