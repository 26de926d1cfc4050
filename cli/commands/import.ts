import { createReadStream } from 'node:fs'
import { access } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import type { CommandModule } from 'yargs'
import { importTable } from '../../src/admin/importTable.js'
import { createChatTable } from '../../src/admin/tableAdmin.js'
import { type GlobalOptions, withContext } from '../context.js'
import { CliError } from '../errors.js'
import type { Progress } from '../output.js'

interface Args extends GlobalOptions {
  file: string
  dryRun: boolean
  createTable: boolean
}

export const importCommand: CommandModule<GlobalOptions, Args> = {
  command: 'import <file>',
  describe: 'Restore a backup written by export',
  builder: (y) =>
    y
      .positional('file', {
        type: 'string',
        demandOption: true,
        describe: 'A file written by `chatdb export`',
      })
      .option('dry-run', {
        type: 'boolean',
        default: false,
        describe: 'Check the file and count its items, write nothing',
      })
      .option('create-table', {
        type: 'boolean',
        default: false,
        describe: 'Create the table first when it does not exist (as `create-table` does)',
      })
      .example(
        '$0 import chat.jsonl --table chat-restored --create-table',
        'restore a backup into a new table',
      ) as never,
  handler: (args) =>
    withContext(args, async ({ documentClient, store, tableName, output }) => {
      const file = String(args.file)
      await access(file).catch((error: Error) => {
        throw new CliError(
          'cli.input',
          `cannot read ${file}: ${error.message}`,
          'pass the path of a file written by `chatdb export`',
        )
      })
      // Under --dry-run nothing is created: the file is checked against the table it would make.
      if (args.createTable) await createChatTable(documentClient, tableName, { dryRun: args.dryRun })
      const lines = createInterface({
        input: createReadStream(file, 'utf8'),
        crlfDelay: Number.POSITIVE_INFINITY,
      })
      let bar: Progress | undefined
      const result = await importTable(store, lines, {
        dryRun: args.dryRun,
        onProgress: (written, total) => {
          bar ??= output.progress(total, 'importing')
          bar.update(written)
        },
      }).finally(() => bar?.stop())
      output.result({ ...result, file }, (r) =>
        r.dryRun
          ? `dry run: ${r.file} holds ${r.items} valid items`
          : `imported ${r.items} items from ${r.file} into "${r.tableName}"`,
      )
    }),
}
