import type { CommandModule } from 'yargs'
import type { GlobalOptions } from '../context.js'
import { CliError } from '../errors.js'
import { terminal } from '../terminal.js'

interface ConnectArgs extends GlobalOptions {
  url: string
  wait: number
}

/** How long `connect` waits for answers once its input has ended, by default. */
export const DEFAULT_CONNECT_WAIT_MS = 1_000

export const connectCommand: CommandModule<GlobalOptions, ConnectArgs> = {
  command: 'connect <url>',
  describe: 'Talk to a WebSocket endpoint (chatdb dev/serve, API Gateway): lines in, frames out',
  builder: (y) =>
    y
      .positional('url', { type: 'string', describe: 'ws:// or wss:// URL', demandOption: true })
      .option('wait', {
        type: 'number',
        default: DEFAULT_CONNECT_WAIT_MS,
        describe: 'Once stdin ends, close after this many ms without a frame',
      })
      .check(({ url, wait }) => {
        if (!isWebSocketUrl(String(url))) {
          throw new CliError(
            'cli.usage',
            `<url> must be a ws:// or wss:// URL, got "${url}"`,
            'e.g. ws://127.0.0.1:3001',
          )
        }
        if (!(wait >= 0))
          throw new CliError(
            'cli.usage',
            `--wait must be a number of ms ≥ 0, got ${wait}`,
            'e.g. --wait 1000',
          )
        return true
      })
      .example('$0 connect ws://127.0.0.1:3001', 'then type {"action":"listRooms"}')
      .example(
        `echo '{"action":"listRooms"}' | $0 connect ws://127.0.0.1:3001`,
        'send a frame from a script and print the answers',
      ) as never,
  handler: async ({ url, wait }) => {
    // ws is loaded only by the commands that talk WebSocket.
    const { runConnectSession } = await import('../connectSession.js')
    // Ctrl-C (or SIGTERM) ends the session with a clean close, and the command with 0.
    let release = () => {}
    const stop = new Promise<void>((stopped) => {
      const onSignal = () => stopped()
      process.once('SIGINT', onSignal)
      process.once('SIGTERM', onSignal)
      release = () => {
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
      }
    })
    const { stdin, stdout } = terminal()
    try {
      await runConnectSession({
        url,
        input: stdin,
        print: (line) => stdout.write(`${line}\n`),
        waitMs: wait,
        stop,
      })
    } finally {
      release()
      // A terminal's stdin would keep the process alive after the session.
      stdin.destroy()
    }
  },
}

function isWebSocketUrl(text: string): boolean {
  try {
    return ['ws:', 'wss:'].includes(new URL(text).protocol)
  } catch {
    return false
  }
}
