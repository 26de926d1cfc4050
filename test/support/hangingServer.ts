import type { AddressInfo } from 'node:net'
import { createServer, type Socket } from 'node:net'

export interface HangingServer {
  endpoint: string
  /** HTTP requests received (one per attempt: a timed-out attempt's socket is destroyed). */
  requests(): number
  close(): Promise<void>
}

/**
 * A TCP server on 127.0.0.1 that accepts every connection, reads what it is sent and never
 * answers: a dependency that hangs (a stuck proxy, a black-holed endpoint).
 */
export async function startHangingServer(): Promise<HangingServer> {
  const sockets = new Set<Socket>()
  let requests = 0
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('data', (chunk: Buffer) => {
      // Request lines only; bodies are JSON and never start with a method name.
      requests += chunk.toString('latin1').match(/^(POST|GET|PUT) \//gm)?.length ?? 0
    })
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

/** A port on 127.0.0.1 that refuses connections (it was just freed). */
export async function refusedEndpoint(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}

/** A server that accepts each connection and resets it as soon as the request arrives. */
export async function startResettingServer(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server = createServer((socket) => {
    socket.on('error', () => {})
    socket.once('data', () => socket.resetAndDestroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
