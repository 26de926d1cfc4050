// The chat page's elements, by role, and its notices (the alert line above the rooms).

const $ = (id) => document.getElementById(id)

export const ui = {
  name: $('name'),
  status: $('status'),
  notices: $('notices'),
  rooms: $('rooms'),
  joinForm: $('join-form'),
  room: $('room'),
  joined: $('joined'),
  view: $('room-view'),
  empty: $('empty'),
  title: $('room-title'),
  leave: $('leave'),
  log: $('log'),
  members: $('members'),
  memberCount: $('member-count'),
  membersMore: $('members-more'),
  sendForm: $('send-form'),
  message: $('message'),
}

/** Shows `text` for 8 seconds, with at most the two notices before it. */
export function notice(text) {
  const p = document.createElement('p')
  p.textContent = text
  ui.notices.append(p)
  while (ui.notices.childElementCount > 3) ui.notices.firstElementChild.remove()
  setTimeout(() => p.remove(), 8000)
}
