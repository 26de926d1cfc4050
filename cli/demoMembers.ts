import { once } from 'node:events'
import { WebSocket } from 'ws'
import type { SeedDataset } from '../src/admin/seedDataset.js'

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
 * `chatdb dev` joins them again, and the rooms' history is still there.
 *
 * Rooms are joined in the dataset's order, one subscription after another, so the room list
 * (creation order) follows the dataset. Frames they receive are read and dropped.
 *
 * @example
 * const demo = await joinDemoMembers(gateway.url, loadSeedDataset(bundledDatasetPath()))
 */
export async function joinDemoMembers(url: string, dataset: SeedDataset): Promise<DemoMembers> {
  const sockets = new Map<string, WebSocket>()
  const close = () => {
    for (const socket of sockets.values()) socket.close(1000, 'chatdb dev stops')
  }
  try {
    for (const { userName } of dataset.users) {
      const socket = new WebSocket(url)
      // A socket error closes it, and its subscriptions go with the $disconnect: nothing to crash on.
      socket.on('error', () => {})
      sockets.set(userName, socket)
      await once(socket, 'open')
    }
    let subscriptions = 0
    for (const { roomName, subscribers } of dataset.rooms) {
      for (const userName of subscribers) {
        const socket = sockets.get(userName) as WebSocket
        const answered = answerTo(socket, roomName)
        socket.send(JSON.stringify({ action: 'subscribe', roomName, userName }))
        await answered
        subscriptions++
      }
    }
    return { members: sockets.size, subscriptions, close }
  } catch (error) {
    close()
    throw error
  }
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
