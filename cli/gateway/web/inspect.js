// The operator view at /inspect: read-only, polling the gateway's /inspect/api/ endpoints.
// Every name and message goes into the page as text (textContent), never as markup, and the
// activity charts are built with DOM calls: the CSP allows no inline script or style.
;(() => {
  const POLL_MS = 3000
  const SVG = 'http://www.w3.org/2000/svg'
  const $ = (id) => document.getElementById(id)
  /** What the room and user panes show, re-read on every poll. */
  const selected = { room: undefined, user: undefined }

  function el(tag, text, className) {
    const node = document.createElement(tag)
    if (text !== undefined) node.textContent = String(text)
    if (className) node.className = className
    return node
  }

  function linkButton(text, onClick) {
    const button = el('button', text, 'link')
    button.type = 'button'
    button.addEventListener('click', onClick)
    return button
  }

  async function api(path) {
    const response = await fetch(`/inspect/api/${path}`, { headers: { accept: 'application/json' } })
    const body = await response.json()
    if (response.status === 404) return undefined
    if (!response.ok) throw new Error(body?.error?.message ?? `HTTP ${response.status}`)
    return body
  }

  // As the chat page shows times: with the date when not today.
  const time = (ms) => globalThis.chatdbFormat.when(ms)

  /** A bar per minute, oldest on the left, scaled to the busiest minute. */
  function chart(perMinute) {
    const width = 180
    const height = 28
    const max = Math.max(1, ...perMinute)
    const barWidth = width / perMinute.length
    const svg = document.createElementNS(SVG, 'svg')
    svg.setAttribute('class', 'spark')
    svg.setAttribute('width', String(width))
    svg.setAttribute('height', String(height))
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`)
    svg.setAttribute('role', 'img')
    const total = perMinute.reduce((a, b) => a + b, 0)
    svg.setAttribute('aria-label', `${total} messages in the last hour`)
    const base = document.createElementNS(SVG, 'line')
    base.setAttribute('x1', '0')
    base.setAttribute('x2', String(width))
    base.setAttribute('y1', String(height - 0.5))
    base.setAttribute('y2', String(height - 0.5))
    svg.append(base)
    perMinute.forEach((count, index) => {
      if (count === 0) return
      const barHeight = Math.max(1, (count / max) * (height - 2))
      const bar = document.createElementNS(SVG, 'rect')
      bar.setAttribute('x', String(index * barWidth))
      bar.setAttribute('y', String(height - barHeight))
      bar.setAttribute('width', String(Math.max(1, barWidth - 0.5)))
      bar.setAttribute('height', String(barHeight))
      const title = document.createElementNS(SVG, 'title')
      title.textContent = `${count} message${count === 1 ? '' : 's'}, ${perMinute.length - 1 - index} min ago`
      bar.append(title)
      svg.append(bar)
    })
    return svg
  }

  function renderEntities(table) {
    const list = $('entities')
    list.replaceChildren()
    for (const [entity, count] of Object.entries(table.entities).sort(([a], [b]) => a.localeCompare(b))) {
      list.append(el('dt', entity), el('dd', count))
    }
  }

  function renderRooms(rooms, activity) {
    const perMinute = new Map(activity.map((a) => [a.roomName, a.perMinute]))
    const messages = new Map(activity.map((a) => [a.roomName, a.messages]))
    const body = $('rooms').tBodies[0]
    body.replaceChildren()
    for (const room of rooms) {
      const row = document.createElement('tr')
      const name = el('td')
      name.append(linkButton(room.roomName, () => select({ room: room.roomName })))
      // A large room is counted by its counters (approximate) and has no user count.
      const large = room.shards !== undefined
      if (large) name.append(el('span', ` large, ${room.shards} shards`, 'note'))
      const graph = el('td')
      graph.append(chart(perMinute.get(room.roomName) ?? []))
      row.append(
        name,
        el('td', room.active ? 'active' : 'inactive'),
        el('td', large ? `≈${room.subscribers}` : room.subscribers),
        el('td', room.users ?? '—'),
        el('td', messages.get(room.roomName) ?? ''),
        graph,
      )
      body.append(row)
    }
  }

  function renderRoom(room) {
    $('room-view').hidden = !room
    if (!room) return
    $('room-title').textContent = `Room ${room.roomName}`
    // A large room: its layout and count instead of every member (the API sends a sample).
    const layout = $('room-layout')
    layout.hidden = !room.large
    layout.textContent = room.large
      ? `Large room: ${room.large.shards} shards, ≈${room.large.subscriberCount} subscribers (counted); members below are a sample`
      : ''
    const members = $('members')
    members.replaceChildren()
    for (const user of room.users) {
      const item = el('li')
      item.append(linkButton(user, () => select({ user })))
      members.append(item)
    }
    const omitted = $('members-omitted')
    omitted.hidden = !room.membersOmitted
    omitted.textContent = room.membersOmitted ? `… and ${room.membersOmitted} more subscriptions` : ''
    const messages = $('messages')
    messages.replaceChildren()
    for (const message of room.messages) {
      const item = el('li')
      item.append(
        el('span', time(message.time), 'time'),
        el('strong', `${message.userName}: `),
        el('span', message.message),
      )
      messages.append(item)
    }
  }

  function renderUser(user) {
    $('user-view').hidden = !user
    if (!user) return
    $('user-title').textContent = `User ${user.userName}`
    const history = $('history')
    history.replaceChildren()
    if (user.rooms.length === 0) history.append(el('p', 'no messages', 'note'))
    for (const group of user.rooms) {
      history.append(el('h3', group.roomName))
      const list = el('ol')
      for (const message of group.messages) {
        const item = el('li')
        item.append(el('span', time(message.time), 'time'), el('span', message.message))
        list.append(item)
      }
      history.append(list)
    }
  }

  function notice(text) {
    const notices = $('notices')
    notices.replaceChildren()
    if (text) notices.append(el('p', text))
  }

  let running
  async function refresh() {
    // One refresh at a time: a slow table must not pile polls up.
    if (running) return running
    running = (async () => {
      try {
        const [table, rooms, activity, room, user] = await Promise.all([
          api('table'),
          api('rooms'),
          api('activity'),
          // Names go in the query: the browser would normalise a room called `..` out of the path.
          selected.room ? api(`room?name=${encodeURIComponent(selected.room)}`) : undefined,
          selected.user ? api(`user?name=${encodeURIComponent(selected.user)}`) : undefined,
        ])
        if (table) renderEntities(table)
        renderRooms(rooms ?? [], activity ?? [])
        // A room gone since it was chosen (cleaned up) is not asked for again on every poll.
        if (selected.room && !room) selected.room = undefined
        renderRoom(room)
        renderUser(user)
        notice('')
        $('status').textContent = `updated ${time(Date.now())}`
      } catch (error) {
        notice(error instanceof Error ? error.message : String(error))
        $('status').textContent = 'error'
      } finally {
        running = undefined
      }
    })()
    return running
  }

  function select(choice) {
    if ('room' in choice) selected.room = choice.room
    if ('user' in choice) selected.user = choice.user
    void refresh()
  }

  void refresh()
  setInterval(() => void refresh(), POLL_MS)
})()
