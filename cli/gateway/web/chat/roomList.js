// The Rooms list: read page by page (`nextCursor`), up to MAX_LISTED rooms, while connected and
// every 5 seconds. A refresh asked for while a walk is under way runs once it ends, so pages of
// two walks never mix.
import { renderRoomList } from './render.js'
import { join } from './rooms.js'
import { send } from './socket.js'

const MAX_LISTED = 5000
const EVERY_MS = 5000
let walk
let walkAgain = false
let timer

export function listRooms() {
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

/** A `roomList` page: asks for the next one, or shows the rooms of the walk. */
export function listed(frame) {
  const rooms = [...(walk?.rooms ?? []), ...frame.rooms]
  if (walk && frame.nextCursor && rooms.length < MAX_LISTED) {
    walk.rooms = rooms
    if (send({ action: 'listRooms', cursor: frame.nextCursor })) return
    walk = undefined
  }
  renderRoomList(rooms, join)
  endWalk()
}

/** Ends the walk without a refresh after it: a page failed (a cursor outdated by a server restart), or the socket closed. */
export function abandonWalk() {
  walk = undefined
  walkAgain = false
}

/** Lists the rooms now and every 5 seconds after (on each open of the socket). */
export function keepListing() {
  listRooms()
  clearInterval(timer)
  timer = setInterval(listRooms, EVERY_MS)
}

/** Stops listing until `keepListing` again (on each close of the socket). */
export function stopListing() {
  clearInterval(timer)
  abandonWalk()
}
