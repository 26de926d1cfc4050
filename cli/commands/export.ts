import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import type { CommandModule } from 'yargs'
import { exportTable } from '../../src/admin/exportTable.js'
import { findTable } from '../../src/admin/tableAdmin.js'
import { ChatDbError } from '../../src/errors.js'
import { type GlobalOptions, withContext } from '../context.js'
import { CliError } from '../errors.js'

interface Args extends GlobalOptions {
  out?: string
}

export const exportCommand: CommandModule<GlobalOptions, Args> = {
  command: 'export',
  describe: 'Back up every item as DynamoDB JSON lines',
  builder: (y) =>
    y
      .option('out', {
        alias: 'o',
        type: 'string',
        describe: 'File to write (default: stdout; the summary then goes to stderr)',
      })
      .example('$0 export --out chat.jsonl', 'back up the "chat" table') as never,
  handler: (args) =>
    withContext(args, async ({ documentClient, tableName, output }) => {
      // Fail before creating an empty file for a table that is not there.
      if (!(await findTable(documentClient, tableName))) {
        throw new ChatDbError('store.tableNotFound', `table "${tableName}" does not exist`)
      }
      if (args.out === undefined) {
        const result = await exportTable(documentClient, tableName, (line) => output.raw(`${line}\n`))
        output.status(`exported ${result.items} items from "${tableName}"`)
        return
      }
      const file = createWriteStream(args.out)
      const opened = Promise.race([
        once(file, 'open'),
        once(file, 'error').then(([error]) => Promise.reject(error)),
      ])
      await opened.catch((error: Error) => {
        throw new CliError(
          'cli.input',
          `cannot write ${args.out}: ${error.message}`,
          'pass a writable path to --out',
        )
      })
      const result = await exportTable(documentClient, tableName, async (line) => {
        if (!file.write(`${line}\n`)) await once(file, 'drain')
      })
      file.end()
      await once(file, 'finish')
      output.result(
        { ...result, file: args.out },
        (r) => `exported ${r.items} items from "${r.tableName}" to ${r.file}`,
      )
    }),
}
