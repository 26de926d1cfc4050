// The chat page of the local gateway (`chatdb serve`). Plain JS on purpose: no build step, and
// every user-provided string goes into the page with textContent, never innerHTML.
;(() => {
  const $ = (id) => document.getElementById(id)
  const ui = {
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

  // The limits of src/validation.ts (/limits.js, written by the gateway from it), with its
  // messages, so a frame the server would refuse is refused here with the server's words.
  const { lengths, delimiter, control, messageControl } = globalThis.chatdbLimits
  function problemWith(what, value) {
    const length = [...value].length
    if (length < 1) return `${what} must not be empty`
    if (length > lengths[what]) return `${what} must be at most ${lengths[what]} characters (got ${length})`
    if (typeof value.isWellFormed === 'function' && !value.isWellFormed()) {
      return `${what} contains an unpaired surrogate`
    }
    if (what === 'message') {
      if (value.trim() === '') return 'message must not be only whitespace'
      return messageControl.test(value)
        ? 'message must not contain control characters other than tab and line breaks'
        : undefined
    }
    if (value.includes(delimiter)) return `${what} must not contain "${delimiter}" (the key delimiter)`
    if (control.test(value)) return `${what} must not contain control characters`
    return undefined
  }

  /**
   * Joined rooms by name: members as a set (presence frames may repeat), entries (messages in
   * `(time, id)` order, with join/leave notes where they arrived). `count` is the server's
   * subscriber count in a large room (`subscribed.subscriberCount`, then `roomStats`): its
   * `users` are then a sample, so the count is not the set's size. `hidden` is how many names a
   * small room's state left out to fit 128 KB (`truncated.users`).
   */
  const joined = new Map()
  /**
   * Rooms whose `subscribe` is on its way, with the frames about them that came first. A room's
   * messages and presence can overtake its state (a large room's fan-out posts from another
   * invocation): applied to no room, or to the state a reconnect is replacing, they would be lost,
   * so they wait and are applied on top of the `subscribed` state.
   */
  const pending = new Map()
  const WAITS = new Set([
    'newMessage',
    'userSubscribed',
    'userUnsubscribed',
    'usersUnsubscribed',
    'roomStats',
  ])
  const MAX_WAITING = 1000
  /**
   * Messages typed while their room could not take them (disconnected, or rejoining after a
   * reconnect), by room: shown at the end of its log as not sent yet, and sent in order once the
   * room's `subscribed` arrives. A frame sent before that would be refused (not subscribed).
   */
  const outbox = new Map()
  let active
  let socket
  let attempt = 0
  let listTimer

  function notice(text) {
    const p = document.createElement('p')
    p.textContent = text
    ui.notices.append(p)
    while (ui.notices.childElementCount > 3) ui.notices.firstElementChild.remove()
    setTimeout(() => p.remove(), 8000)
  }

  function send(frame) {
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      notice('not connected to the server; reconnecting, try again in a moment')
      return false
    }
    socket.send(JSON.stringify(frame))
    return true
  }

  // Names are shown with bidi controls and other invisible characters escaped (as the CLI shows
  // them), so a name cannot reorder itself or the text around it into another name.
  const { escapeText: shown, when } = globalThis.chatdbFormat

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

  function renderJoined() {
    ui.joined.replaceChildren(
      ...[...joined.keys()].map((roomName) => {
        const li = document.createElement('li')
        const button = named(document.createElement('button'), roomName)
        button.type = 'button'
        button.setAttribute('aria-current', String(roomName === active))
        button.addEventListener('click', () => show(roomName))
        li.append(button)
        return li
      }),
    )
  }

  const number = new Intl.NumberFormat('en-US')
  // A large room's count is the server's (approximate, connections); a small room's is its names.
  // An approximate count that drifted below the names in hand would read as nonsense: never less.
  const memberCount = (room) =>
    room.count === undefined ? room.users.size + room.hidden : Math.max(room.count, room.users.size)

  function renderMembers(room) {
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

  function renderRoom() {
    const room = active && joined.get(active)
    ui.view.hidden = !room
    ui.empty.hidden = Boolean(room)
    if (!room) return
    named(ui.title, active)
    renderMembers(room)
    ui.log.replaceChildren(...room.entries.map(line), ...(outbox.get(active) ?? []).map(pendingLine))
    ui.log.scrollTop = ui.log.scrollHeight
  }

  // Messages are ordered by (time, id): a large room's fan-out delivers them in no set order.
  // Ids are ASCII, so comparing them as strings gives the table's own (byte) order.
  const compare = (a, b) => a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  const before = (a, b) => compare(a, b) < 0

  /**
   * Puts a message where (time, id) says among the room's messages, and returns its index.
   * Join/leave notes stay where they arrived: a late message goes right before the first message
   * that sorts after it, so it never lands between two messages it should follow.
   */
  function place(room, message) {
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

  function show(roomName) {
    active = roomName
    renderJoined()
    renderRoom()
  }

  function renderRoomList(rooms) {
    ui.rooms.replaceChildren(
      ...rooms.map(({ roomName }) => {
        const li = document.createElement('li')
        const button = named(document.createElement('button'), roomName)
        button.type = 'button'
        button.addEventListener('click', () => join(roomName))
        li.append(button)
        return li
      }),
    )
  }

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

  /** Applies the frames that waited for a room's state (or for an answer that never came). */
  function release(roomName) {
    const waiting = pending.get(roomName) ?? []
    pending.delete(roomName)
    for (const frame of waiting) handlers[frame.type](frame)
  }

  function join(roomName) {
    if (joined.has(roomName)) return show(roomName)
    const problem = problemWith('roomName', roomName)
    if (problem) return notice(problem)
    const name = userName()
    if (name) subscribe(roomName, name)
  }

  // The room list is read page by page (`nextCursor`), up to MAX_LISTED rooms; a refresh asked
  // for while a walk is under way runs once it ends, so pages of two walks never mix.
  const MAX_LISTED = 5000
  let walk
  let walkAgain = false
  function listRooms() {
    if (walk) {
      walkAgain = true
      return
    }
    walk = { rooms: [] }
    if (!send({ action: 'listRooms' })) walk = undefined
  }
  function endWalk() {
    walk = undefined
    if (walkAgain) {
      walkAgain = false
      listRooms()
    }
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
      if (!previous) active = frame.roomName
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
      if (frame.roomName === active) {
        ui.log.insertBefore(line(frame.message), ui.log.children[at] ?? null)
        ui.log.scrollTop = ui.log.scrollHeight
      }
    },
    roomList(frame) {
      const rooms = [...(walk?.rooms ?? []), ...frame.rooms]
      if (walk && frame.nextCursor && rooms.length < MAX_LISTED) {
        walk.rooms = rooms
        if (send({ action: 'listRooms', cursor: frame.nextCursor })) return
        walk = undefined
      }
      renderRoomList(rooms)
      endWalk()
    },
    error(frame) {
      // A refused or failed subscribe names no room: none of the pending ones waits any longer.
      if (frame.action === 'subscribe') for (const roomName of [...pending.keys()]) release(roomName)
      // A page that failed (a cursor outdated by a server restart) ends the walk; the timer retries.
      if (frame.action === 'listRooms') {
        walk = undefined
        walkAgain = false
      }
      notice(`Error ${frame.statusCode}${frame.action ? ` (${frame.action})` : ''}: ${frame.message}`)
    },
  }
  // Delivery is at least once: the id is the same in every copy of a message.
  const key = (m) => m.id

  /** Sends what was typed for a room while it could not take it, in order, as far as the socket goes. */
  function flush(roomName) {
    const queued = outbox.get(roomName) ?? []
    while (queued.length > 0 && send({ action: 'sendMessage', roomName, message: queued[0] })) queued.shift()
    if (queued.length === 0) outbox.delete(roomName)
  }

  function drop(roomName) {
    pending.delete(roomName)
    outbox.delete(roomName)
    if (!joined.delete(roomName)) return
    if (active === roomName) active = joined.keys().next().value
    renderJoined()
    renderRoom()
  }

  function connect() {
    ui.status.textContent = attempt === 0 ? 'connecting…' : 'reconnecting…'
    socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`)
    socket.addEventListener('open', () => {
      attempt = 0
      ui.status.textContent = 'connected'
      listRooms()
      // Back in every room it was in: the server forgot this connection's subscriptions.
      for (const [roomName, room] of joined) {
        subscribe(roomName, room.userName)
      }
      clearInterval(listTimer)
      listTimer = setInterval(listRooms, 5000)
    })
    socket.addEventListener('message', (event) => {
      let frame
      try {
        frame = JSON.parse(event.data)
      } catch {
        return notice('the server sent a frame that is not JSON')
      }
      // API Gateway's own answers carry no `type`: a throttled request ("Too Many Requests")
      // never reached the server, and a server error lost the request's answer.
      if (frame?.type === undefined && typeof frame?.message === 'string') {
        return notice(
          frame.message === 'Too Many Requests'
            ? 'the server is busy (Too Many Requests): what you just sent was not delivered; send it again in a moment'
            : `the server could not handle a request: ${frame.message}`,
        )
      }
      const waiting = WAITS.has(frame?.type) && pending.get(frame.roomName)
      if (waiting) {
        if (waiting.length < MAX_WAITING) waiting.push(frame)
        return
      }
      handlers[frame?.type]?.(frame)
    })
    socket.addEventListener('close', () => {
      // The reconnect subscribes again; frames of the old connection's subscribes are moot.
      pending.clear()
      clearInterval(listTimer)
      walk = undefined
      walkAgain = false
      // Exponential backoff with jitter, capped, so a restarted gateway is not stampeded.
      const delay = Math.min(8000, 250 * 2 ** attempt) * (0.75 + Math.random() / 2)
      attempt++
      ui.status.textContent = 'disconnected; reconnecting…'
      setTimeout(connect, delay)
    })
  }

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
    const connected = socket?.readyState === WebSocket.OPEN && !pending.has(active)
    if (connected && send({ action: 'sendMessage', roomName: active, message })) return
    outbox.set(active, [...(outbox.get(active) ?? []), message])
    renderRoom()
  })
  ui.leave.addEventListener('click', () => {
    const roomName = active
    if (roomName && send({ action: 'unsubscribe', roomName })) drop(roomName)
  })
  renderRoom()
  connect()
})()
