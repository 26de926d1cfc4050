// The page's WebSocket to the gateway it was served by: opened, opened again with backoff when it
// closes, and the frames it brings handed on. The status line says which of these it is in.
import { notice, ui } from './ui.js'

let socket
let attempt = 0

export const isOpen = () => socket?.readyState === WebSocket.OPEN

/** Sends a frame; says so in a notice and answers false when the socket is not open. */
export function send(frame) {
  if (!isOpen()) {
    notice('not connected to the server; reconnecting, try again in a moment')
    return false
  }
  socket.send(JSON.stringify(frame))
  return true
}

/**
 * Opens the socket and keeps it open: `opened()` after each open, `received(frame)` with each
 * frame of the server's, `closed()` after each close, before the next attempt.
 */
export function connect({ opened, received, closed }) {
  ui.status.textContent = attempt === 0 ? 'connecting…' : 'reconnecting…'
  socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`)
  socket.addEventListener('open', () => {
    attempt = 0
    ui.status.textContent = 'connected'
    opened()
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
    received(frame)
  })
  socket.addEventListener('close', () => {
    closed()
    // Exponential backoff with jitter, capped, so a restarted gateway is not stampeded.
    const delay = Math.min(8000, 250 * 2 ** attempt) * (0.75 + Math.random() / 2)
    attempt++
    ui.status.textContent = 'disconnected; reconnecting…'
    setTimeout(() => connect({ opened, received, closed }), delay)
  })
}
