// What the page draws of its state: the joined rooms, the room shown (title, members, log) and
// the room list. Every user-provided string goes into the page with textContent, never innerHTML.
import { active, joined, memberCount, outbox, setActive } from './state.js'
import { ui } from './ui.js'

// Names are shown with bidi controls and other invisible characters escaped (as the CLI shows
// them), so a name cannot reorder itself or the text around it into another name.
export const { escapeText: shown, when } = globalThis.chatdbFormat

function span(className, text) {
  const node = document.createElement('span')
  node.className = className
  node.textContent = text
  return node
}

/** A name's element: its text escaped, and its full text in the title when the box cuts it. */
function named(node, name) {
  node.textContent = shown(name)
  node.title = shown(name)
  return node
}

/** A list item holding a button named `roomName` that calls `pick(roomName)`; `current` marks the room shown. */
function roomButton(roomName, pick, current) {
  const li = document.createElement('li')
  const button = named(document.createElement('button'), roomName)
  button.type = 'button'
  if (current !== undefined) button.setAttribute('aria-current', String(current))
  button.addEventListener('click', () => pick(roomName))
  li.append(button)
  return li
}

function line(entry) {
  const p = document.createElement('p')
  if (entry.event) {
    p.className = 'event'
    p.textContent = entry.event
    return p
  }
  const meta = span('meta', `${when(entry.time)} `)
  meta.append(span('who', shown(entry.userName)), ':')
  p.append(meta, span('text', entry.message))
  return p
}

function pendingLine(message) {
  const p = document.createElement('p')
  p.className = 'pending'
  p.append(span('meta', 'not sent yet, sent when reconnected:'), span('text', message))
  return p
}

export function renderJoined() {
  ui.joined.replaceChildren(
    ...[...joined.keys()].map((roomName) => roomButton(roomName, show, roomName === active)),
  )
}

const number = new Intl.NumberFormat('en-US')

export function renderMembers(room) {
  const count = memberCount(room)
  ui.memberCount.textContent = `${number.format(count)} ${count === 1 ? 'member' : 'members'}`
  ui.members.replaceChildren(
    ...[...room.users].sort().map((name) => named(document.createElement('li'), name)),
  )
  // The list of a large room is a sample of at most 100 names; the rest are only counted.
  const more = Math.max(0, count - room.users.size)
  ui.membersMore.hidden = more === 0
  ui.membersMore.textContent = more === 0 ? '' : `and ${number.format(more)} more`
}

export function renderRoom() {
  const room = active && joined.get(active)
  ui.view.hidden = !room
  ui.empty.hidden = Boolean(room)
  if (!room) return
  named(ui.title, active)
  renderMembers(room)
  ui.log.replaceChildren(...room.entries.map(line), ...(outbox.get(active) ?? []).map(pendingLine))
  ui.log.scrollTop = ui.log.scrollHeight
}

/** Shows a message that `place` put at index `at` of the room shown, without drawing the rest again. */
export function renderMessageAt(message, at) {
  ui.log.insertBefore(line(message), ui.log.children[at] ?? null)
  ui.log.scrollTop = ui.log.scrollHeight
}

/** Shows a joined room. */
export function show(roomName) {
  setActive(roomName)
  renderJoined()
  renderRoom()
}

/** The Rooms list: a button for each, calling `pick` with the room's name. */
export function renderRoomList(rooms, pick) {
  ui.rooms.replaceChildren(...rooms.map(({ roomName }) => roomButton(roomName, pick)))
}
