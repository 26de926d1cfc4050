import { once } from 'node:events'
import { WebSocket } from 'ws'
import type { SeedDataset } from '../src/admin/seedDataset.js'
import { GOING_AWAY } from './gateway/connectionLifetime.js'

export interface DemoMembers {
  /** Users connected, and subscriptions they hold. */
  members: number
  subscriptions: number
  /** Closes their connections (the gateway's close does too, running `$disconnect` for each). */
  close(): void
}

/**
 * The demo's users as real clients of the local gateway: one WebSocket per user, subscribed to the
 * dataset's rooms through the protocol like anyone else. A seeded subscription would name a
 * connection id no socket has: the first message posted to its room answers 410 and the
 * broadcaster deletes it (every room of that user with it), so the demo rooms would empty and
 * drop out of the room list. These connections live as long as `chatdb dev`: while it runs the
 * rooms are listed, posts reach them, and they leave (`$disconnect`) when it stops; the next
 * `chatdb dev` joins them again, and the rooms' history is still there. The gateway closes them
 * as API Gateway would (1001 after its idle timeout or connection duration): each then connects
 * again and rejoins its rooms, as a client on AWS must.
 *
 * Rooms are joined in the dataset's order, one subscription after another, so the room list
 * (creation order) follows the dataset. Frames they receive are read and dropped.
 *
 * @example
 * const demo = await joinDemoMembers(gateway.url, loadSeedDataset(bundledDatasetPath()))
 */
export async function joinDemoMembers(url: string, dataset: SeedDataset): Promise<DemoMembers> {
  const sockets = new Map<string, WebSocket>()
  let stopping = false
  const close = () => {
    stopping = true
    for (const socket of sockets.values()) socket.close(1000, 'chatdb dev stops')
  }
  const connect = async (userName: string) => {
    const socket = new WebSocket(url)
    // A socket error closes it, and its subscriptions go with the $disconnect: nothing to crash on.
    socket.on('error', () => {})
    sockets.set(userName, socket)
    await once(socket, 'open')
    socket.on('close', (code) => {
      // 1001: the gateway's idle timeout or connection duration. Its own shutdown says 1006.
      if (code === GOING_AWAY.code && !stopping) void rejoin(userName)
    })
    return socket
  }
  const rejoin = async (userName: string) => {
    try {
      const socket = await connect(userName)
      for (const { roomName } of dataset.rooms.filter((room) => room.subscribers.includes(userName))) {
        await subscribe(socket, roomName, userName)
      }
    } catch {
      // Closed again, or the gateway is stopping: the next 1001 (if any) tries again.
    }
  }
  try {
    for (const { userName } of dataset.users) await connect(userName)
    let subscriptions = 0
    for (const { roomName, subscribers } of dataset.rooms) {
      for (const userName of subscribers) {
        await subscribe(sockets.get(userName) as WebSocket, roomName, userName)
        subscriptions++
      }
    }
    return { members: sockets.size, subscriptions, close }
  } catch (error) {
    close()
    throw error
  }
}

function subscribe(socket: WebSocket, roomName: string, userName: string): Promise<void> {
  const answered = answerTo(socket, roomName)
  socket.send(JSON.stringify({ action: 'subscribe', roomName, userName }))
  return answered
}

/** Resolves on the `subscribed` frame of `roomName`; rejects on an error frame or a close. */
function answerTo(socket: WebSocket, roomName: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      socket.off('message', onMessage)
      socket.off('close', onClose)
      if (error) reject(error)
      else resolve()
    }
    // One listener for the whole wait: several frames may arrive in one chunk, emitted in a row.
    const onMessage = (data: Buffer) => {
      const frame = JSON.parse(data.toString('utf8')) as {
        type?: string
        roomName?: string
        message?: string
      }
      if (frame.type === 'subscribed' && frame.roomName === roomName) done()
      else if (frame.type === 'error') {
        done(new Error(`demo member could not join "${roomName}": ${frame.message ?? 'error frame'}`))
      }
    }
    const onClose = () => done(new Error(`demo member's connection closed while joining "${roomName}"`))
    socket.on('message', onMessage)
    socket.on('close', onClose)
  })
}
