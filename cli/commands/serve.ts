import type { CommandModule } from 'yargs'
import { findTable } from '../../src/admin/tableAdmin.js'
import { ChatDbError } from '../../src/errors.js'
import { type CliContext, type GlobalOptions, withContext } from '../context.js'
import { listenError, type PortReservation, reservePort } from '../port.js'

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

export const serveCommand: CommandModule<GlobalOptions, GatewayArgs> = {
  command: 'serve',
  describe: 'Run the chat handlers behind a local WebSocket gateway',
  builder: (y) =>
    y
      .options(gatewayOptions)
      .example('$0 serve --port 3001 --local', 'the chat on ws://127.0.0.1:3001') as never,
  handler: async (args) => {
    // The port first: a busy one is refused before anything else is opened or read.
    const reservation = await reservePort(args.host, args.port)
    try {
      await withContext(args, async (context) => {
        if (!(await findTable(context.documentClient, context.tableName))) {
          throw new ChatDbError('store.tableNotFound', `table "${context.tableName}" does not exist`)
        }
        await serveUntilSignal(context, args, {}, reservation)
      })
    } finally {
      await reservation.release()
    }
  },
}

/**
 * Starts the gateway, prints where it listens (plus `extra`, for `dev`), and runs until SIGINT or
 * SIGTERM; then closes every connection and the server before returning.
 */
export async function serveUntilSignal(
  context: CliContext,
  args: GatewayArgs,
  extra: Record<string, unknown>,
  reservation?: PortReservation,
): Promise<void> {
  const { output, documentClient, tableName } = context
  // The gateway pulls in ws and every handler: load it only for the commands that run it.
  const { startGateway } = await import('../gateway/startGateway.js')
  await reservation?.release()
  const gateway = await startGateway({
    port: args.port,
    host: args.host,
    documentClient,
    tableName,
    log: (line) => output.info(line),
  }).catch((error: unknown) => {
    throw listenError(error, args.host, args.port)
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
