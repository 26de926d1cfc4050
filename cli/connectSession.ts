import { createInterface } from 'node:readline'
import { WebSocket } from 'ws'
import { CliError } from './errors.js'
import { escapeText } from './safeText.js'

export interface ConnectSessionOptions {
  url: string
  /** Lines to send, one frame each (stdin). */
  input: NodeJS.ReadableStream
  /** Where each received frame goes, on a line of its own, escaped (stdout). */
  print: (line: string) => void
  /** Once `input` ends: how long to wait for frames, after the last one, before closing. */
  waitMs: number
  /** Stopped by the person (Ctrl-C): resolves the session after a clean close. */
  stop: Promise<unknown>
}

/** Silence after which input that ended is closed even though some lines got no answer yet. */
export const UNANSWERED_WAIT_MS = 10_000

/** Close codes that end a session normally: ours, the server going away, or none given. */
const NORMAL_CLOSES = new Set([1000, 1001, 1005])

/**
 * A WebSocket client for a terminal or a pipe, as wscat is: each line of `input` is sent as a
 * frame (blank lines are not), each frame received is printed on a line of its own with control
 * and bidi characters escaped (a frame carries what other users typed). When `input` ends, the
 * session closes with 1000 once no frame has come for `waitMs` after at least as many frames as
 * lines sent (else after {@link UNANSWERED_WAIT_MS} of silence); a stop closes at once.
 * Rejects with `cli.connect` when the connection cannot be made (refused, an HTTP answer instead
 * of an upgrade) or the server closes it abnormally (e.g. 1013, 1009).
 *
 * @example
 * await runConnectSession({ url: 'ws://127.0.0.1:3001', input: process.stdin, print: console.log, waitMs: 1000, stop })
 */
export async function runConnectSession({
  url,
  input,
  print,
  waitMs,
  stop,
}: ConnectSessionOptions): Promise<void> {
  const socket = new WebSocket(url)
  // Never an unhandled 'error': before the open it fails the session (below); after it, 'close'
  // follows with 1006, which is reported as an abnormal close.
  socket.on('error', () => {})
  await new Promise<void>((opened, failed) => {
    socket.once('open', opened)
    socket.once('unexpected-response', (_request, response) => {
      socket.terminate()
      failed(
        new CliError(
          'cli.connect',
          `${url} refused the connection: HTTP ${response.statusCode}`,
          'a chatdb gateway refuses a connection its $connect route refused; check the URL and the server log',
        ),
      )
    })
    socket.once('error', (error) =>
      failed(
        new CliError(
          'cli.connect',
          `cannot connect to ${url}: ${error.message}`,
          'check the URL and that the server runs (`chatdb dev` or `chatdb serve` prints it)',
        ),
      ),
    )
  })
  let ending: NodeJS.Timeout | undefined
  let inputEnded = false
  let sent = 0
  let received = 0
  // A request-answer protocol (chatdb's is one) answers every frame at least once: until as many
  // frames have come as lines went, a slow server is given longer than `waitMs` of silence.
  const closeWhenQuiet = () => {
    clearTimeout(ending)
    const quietMs = received >= sent ? waitMs : Math.max(waitMs, UNANSWERED_WAIT_MS)
    ending = setTimeout(() => socket.close(1000, 'chatdb connect: input ended'), quietMs)
  }
  socket.on('message', (data, isBinary) => {
    received++
    print(escapeText(isBinary ? `<binary frame, ${(data as Buffer).length} bytes>` : String(data)))
    if (inputEnded) closeWhenQuiet()
  })
  const lines = createInterface({ input, terminal: false })
  lines.on('line', (line) => {
    if (line.trim() === '' || socket.readyState !== WebSocket.OPEN) return
    socket.send(line)
    sent++
  })
  lines.once('close', () => {
    inputEnded = true
    closeWhenQuiet()
  })
  void stop.then(() => socket.close(1000, 'chatdb connect: stopped'))
  const [code, reason] = await new Promise<[number, string]>((closed) =>
    socket.once('close', (closeCode, closeReason) => closed([closeCode, closeReason.toString('utf8')])),
  )
  clearTimeout(ending)
  lines.close()
  if (!NORMAL_CLOSES.has(code)) {
    throw new CliError(
      'cli.connect',
      `the connection closed with ${code}${reason ? ` (${escapeText(reason)})` : ''}`,
      code === 1013 ? 'the server throttled this client: send fewer frames at once' : undefined,
    )
  }
}
