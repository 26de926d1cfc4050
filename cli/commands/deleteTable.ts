import type { CommandModule } from 'yargs'
import { countItems, type ItemCount } from '../../src/admin/countItems.js'
import { deleteChatTable, findTable } from '../../src/admin/tableAdmin.js'
import { ChatDbError } from '../../src/errors.js'
import { type GlobalOptions, withContext } from '../context.js'
import { confirmOrRefuse } from '../output.js'

interface Args extends GlobalOptions {
  dryRun: boolean
}

/** The item count as a person should read it: exact, a lower bound, or DynamoDB's estimate. */
export function describeItems({ count, kind }: ItemCount): string {
  if (kind === 'exact') return `${count} items`
  if (kind === 'atLeast') return `at least ${count} items (counting stopped there)`
  return `~${count} items (DynamoDB's estimate, updated about every 6 hours)`
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
    withContext(args, async ({ documentClient, store, tableName, output }) => {
      let items: ItemCount | undefined
      if (!args.dryRun) {
        const table = await findTable(documentClient, tableName)
        if (!table) throw new ChatDbError('store.tableNotFound', `table "${tableName}" does not exist`)
        // Counted once, for the question and the result alike.
        items = await countItems(store, table)
        await confirmOrRefuse(output, {
          yes: args.yes,
          question: `Delete table "${tableName}" and its ${describeItems(items)}?`,
          refusal: `refusing to delete table "${tableName}"`,
        })
      }
      const result = await deleteChatTable(documentClient, tableName, { dryRun: args.dryRun, items })
      output.result(result, (r) =>
        r.action === 'deleted'
          ? `deleted table "${r.tableName}" (${describeItems(r.items)})`
          : `dry run: would delete table "${r.tableName}" (${describeItems(r.items)})`,
      )
    }),
}
