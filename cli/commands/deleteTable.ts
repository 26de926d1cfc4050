import type { CommandModule } from 'yargs'
import { deleteChatTable, findTable } from '../../src/admin/tableAdmin.js'
import { ChatDbError } from '../../src/errors.js'
import { type GlobalOptions, withContext } from '../context.js'
import { confirmOrRefuse } from '../output.js'

interface Args extends GlobalOptions {
  dryRun: boolean
}

export const deleteTableCommand: CommandModule<GlobalOptions, Args> = {
  command: 'delete-table',
  describe: 'Delete the table and all its items (asks, or needs --yes)',
  builder: (y) =>
    y
      .option('dry-run', {
        type: 'boolean',
        default: false,
        describe: 'Say what would be deleted, delete nothing',
      })
      .example('$0 delete-table --table chat-test --yes', 'delete without asking') as never,
  handler: (args) =>
    withContext(args, async ({ documentClient, tableName, output }) => {
      if (!args.dryRun) {
        const table = await findTable(documentClient, tableName)
        if (!table) throw new ChatDbError('store.tableNotFound', `table "${tableName}" does not exist`)
        await confirmOrRefuse(output, {
          yes: args.yes,
          question: `Delete table "${tableName}" and its ~${table.ItemCount ?? 0} items?`,
          refusal: `refusing to delete table "${tableName}"`,
        })
      }
      const result = await deleteChatTable(documentClient, tableName, { dryRun: args.dryRun })
      output.result(result, (r) =>
        r.action === 'deleted'
          ? `deleted table "${r.tableName}" (~${r.itemCount} items)`
          : `dry run: would delete table "${r.tableName}" (~${r.itemCount} items)`,
      )
    }),
}
