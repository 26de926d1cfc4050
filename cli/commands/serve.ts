import type { CommandModule } from 'yargs'
import { findTable } from '../../src/admin/tableAdmin.js'
import { ChatDbError } from '../../src/errors.js'
import { type CliContext, type GlobalOptions, withContext } from '../context.js'
import { CliError } from '../errors.js'

export interface GatewayArgs extends GlobalOptions {
  port: number
  host: string
}

export const DEFAULT_PORT = 3001

/** --port and --host, shared by `serve` and `dev`. */
export const gatewayOptions = {
  port: {
    type: 'number',
    default: DEFAULT_PORT,
    describe: 'Port of the WebSocket server and @connections API (0: any free port)',
  },
  host: { type: 'string', default: '127.0.0.1', describe: 'Address to listen on' },
} as const

/**
 * yargs checks that --port is a number (configure.ts: NaN is a usage error), not that it is a
 * port: 99999 would only fail once dynalite and the table are up, as an internal RangeError.
 */
export function checkPort({ port }: { port: number }): true {
  if (Number.isInteger(port) && port >= 0 && port <= 65_535) return true
  throw new CliError(
    'cli.usage',
    `--port must be an integer from 0 to 65535, got ${port}`,
    'e.g. --port 3001, or 0 for any free port',
  )
}

export const serveCommand: CommandModule<GlobalOptions, GatewayArgs> = {
  command: 'serve',
  describe: 'Run the chat handlers behind a local WebSocket gateway',
  builder: (y) =>
    y
      .options(gatewayOptions)
      .check(checkPort)
      .example('$0 serve --port 3001 --local', 'the chat on ws://127.0.0.1:3001') as never,
  handler: (args) =>
    withContext(args, async (context) => {
      if (!(await findTable(context.documentClient, context.tableName))) {
        throw new ChatDbError('store.tableNotFound', `table "${context.tableName}" does not exist`)
      }
      await serveUntilSignal(context, args, {})
    }),
}

/**
 * Starts the gateway, prints where it listens (plus `extra`, for `dev`), and runs until SIGINT or
 * SIGTERM; then closes every connection and the server before returning.
 */
export async function serveUntilSignal(
  context: CliContext,
  args: GatewayArgs,
  extra: Record<string, unknown>,
): Promise<void> {
  const { output, documentClient, tableName } = context
  // The gateway pulls in ws and every handler: load it only for the commands that run it.
  const { startGateway } = await import('../gateway/startGateway.js')
  const gateway = await startGateway({
    port: args.port,
    host: args.host,
    documentClient,
    tableName,
    log: (line) => output.info(line),
  })
  const sampleFrame = { action: 'subscribe', roomName: 'general', userName: 'ada' }
  const ready = {
    ...extra,
    tableName,
    url: gateway.url,
    managementEndpoint: gateway.managementEndpoint,
    connect: `npx wscat -c ${gateway.url}`,
    sampleFrame,
  }
  output.result(ready, (r) =>
    [
      `gateway for table "${r.tableName}" listening on ${r.url} (@connections API: ${r.managementEndpoint})`,
      `connect:   ${r.connect}`,
      `then send: ${JSON.stringify(r.sampleFrame)}`,
      '           {"action":"sendMessage","roomName":"general","message":"hello"}',
      'Ctrl-C stops.',
    ].join('\n'),
  )
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const stop = (received: NodeJS.Signals) => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve(received)
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
  output.info(`${signal}: closing the gateway`)
  await gateway.close()
}
