import WebSocket from 'ws'
import type { ServerFrame } from '../../src/protocol/frames.js'

type Waiter = { predicate: (frame: ServerFrame) => boolean; resolve: (frame: ServerFrame) => void }

/** A real WebSocket client that keeps every frame it gets and can wait for the next of a kind. */
export async function connectClient(url: string) {
  const socket = new WebSocket(url)
  const frames: ServerFrame[] = []
  const waiters: Waiter[] = []
  // Frames not yet taken by `next`, so a frame that arrives before anyone waits is not lost.
  const unread: ServerFrame[] = []
  socket.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as ServerFrame
    frames.push(frame)
    const index = waiters.findIndex((w) => w.predicate(frame))
    if (index >= 0) waiters.splice(index, 1)[0]?.resolve(frame)
    else unread.push(frame)
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('error', reject)
  })
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  return {
    socket,
    /** Every frame received so far. */
    frames,
    send: (frame: unknown) => socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    /** The next unread frame of `type` (and matching `where`), waiting for it if needed. */
    next<T extends ServerFrame['type']>(
      type: T,
      where: (frame: ServerFrame) => boolean = () => true,
      timeoutMs = 30_000,
    ) {
      const predicate = (frame: ServerFrame) => frame.type === type && where(frame)
      const index = unread.findIndex(predicate)
      if (index >= 0) return Promise.resolve(unread.splice(index, 1)[0] as Extract<ServerFrame, { type: T }>)
      return new Promise<Extract<ServerFrame, { type: T }>>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no "${type}" frame within ${timeoutMs} ms`)),
          timeoutMs,
        )
        waiters.push({
          predicate,
          resolve: (frame) => {
            clearTimeout(timer)
            resolve(frame as Extract<ServerFrame, { type: T }>)
          },
        })
      })
    },
    close: async () => {
      socket.close()
      await closed
    },
    closed,
  }
}

export type TestClient = Awaited<ReturnType<typeof connectClient>>
