import type { BillingMode } from '@aws-sdk/client-dynamodb'
import type { CommandModule } from 'yargs'
import { type CreateChatTableResult, createChatTable } from '../../src/admin/tableAdmin.js'
import { type GlobalOptions, withContext } from '../context.js'
import { EXIT } from '../errors.js'
import type { Output } from '../output.js'

interface Args extends GlobalOptions {
  wait: boolean
  billingMode?: BillingMode
  readCapacity: number
  writeCapacity: number
  dryRun: boolean
}

export const createTableCommand: CommandModule<GlobalOptions, Args> = {
  command: 'create-table',
  describe: 'Create the table (an existing one is checked against the definition)',
  builder: (y) =>
    y
      .option('wait', {
        type: 'boolean',
        default: true,
        describe: 'Wait until the table and its GSI are ACTIVE (--no-wait: do not)',
      })
      .option('billing-mode', {
        choices: ['PAY_PER_REQUEST', 'PROVISIONED'] as BillingMode[],
        describe:
          'For a new table (default PAY_PER_REQUEST); when given, an existing table is checked for it too',
      })
      .option('read-capacity', {
        type: 'number',
        default: 5,
        describe: 'PROVISIONED only: read capacity units',
      })
      .option('write-capacity', {
        type: 'number',
        default: 5,
        describe: 'PROVISIONED only: write capacity units',
      })
      .option('dry-run', {
        type: 'boolean',
        default: false,
        describe: 'Print what would be created, create nothing',
      })
      .example(
        '$0 create-table --table chat',
        'create the "chat" table (or check the existing one)',
      ) as never,
  handler: (args) =>
    withContext(args, async ({ documentClient, tableName, output }) => {
      const result = await createChatTable(documentClient, tableName, {
        wait: args.wait,
        billingMode: args.billingMode,
        readCapacity: args.readCapacity,
        writeCapacity: args.writeCapacity,
        dryRun: args.dryRun,
      })
      output.result(result, (r) => render(r, output))
      // A table that exists but is not the one chatdb expects is a failure scripts must see.
      return result.differences.length > 0 ? EXIT.failure : EXIT.ok
    }),
}

function render(result: CreateChatTableResult, output: Output): string {
  const { tableName, action, status, differences, definition } = result
  if (action === 'would-create') {
    return `dry run: would create table "${tableName}":\n${JSON.stringify(definition, null, 2)}`
  }
  if (action === 'created') return `created table "${tableName}" (${status})`
  if (differences.length === 0) return `table "${tableName}" exists and matches the definition (${status})`
  return `table "${tableName}" exists but differs from the definition:\n${output.table(
    ['difference'],
    differences.map((d) => [d]),
  )}`
}
