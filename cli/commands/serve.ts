// `chatdb serve`: the local gateway over an existing table, until Ctrl-C.
import type { CommandModule } from 'yargs'
import { findTable } from '../../src/admin/tableAdmin.js'
import { ChatDbError } from '../../src/errors.js'
import { DEFAULT_LOCAL_DIR, type GlobalOptions, withContext } from '../context.js'
import { holdGatewayOf } from '../gatewayLock.js'
import { reservePort } from '../port.js'
import { checkGatewayArgs, type GatewayArgs, gatewayOptions } from './gatewayFlags.js'
import { serveUntilSignal } from './serveUntilSignal.js'

export const serveCommand: CommandModule<GlobalOptions, GatewayArgs> = {
  command: 'serve',
  describe: 'Run the chat handlers behind a local WebSocket gateway',
  builder: (y) =>
    y
      .options(gatewayOptions)
      .check(checkGatewayArgs)
      .example('$0 serve --port 3001 --local', 'the chat on ws://127.0.0.1:3001') as never,
  handler: async (args) => {
    // The port first: a busy one is refused before anything else is opened or read.
    const reservation = await reservePort(args.host, args.port)
    const gatewayHold = await holdGatewayOf(
      args.local === undefined ? undefined : args.local || DEFAULT_LOCAL_DIR,
      args.host,
      reservation,
    )
    try {
      await withContext(args, async (context) => {
        if (!(await findTable(context.documentClient, context.tableName))) {
          throw new ChatDbError('store.tableNotFound', `table "${context.tableName}" does not exist`)
        }
        await serveUntilSignal(context, args, { reservation })
      })
    } finally {
      await reservation.release()
      gatewayHold.release()
    }
  },
}
