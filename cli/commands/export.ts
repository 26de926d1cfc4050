import type { CommandModule } from 'yargs'
import { exportTable } from '../../src/admin/exportTable.js'
import { findTable } from '../../src/admin/tableAdmin.js'
import { ChatDbError } from '../../src/errors.js'
import { writeFileAtomically } from '../atomicFile.js'
import { type GlobalOptions, withContext } from '../context.js'
import { type Progress, StdoutClosed } from '../output.js'
import { terminal } from '../terminal.js'

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
        describe:
          'File to write, replaced only when the export succeeds (default: stdout; the summary then goes to stderr)',
      })
      .example('$0 export --out chat.jsonl', 'back up the "chat" table') as never,
  handler: (args) =>
    withContext(args, async ({ documentClient, store, tableName, output }) => {
      // Fail before creating any file for a table that is not there.
      const table = await findTable(documentClient, tableName)
      if (!table) throw new ChatDbError('store.tableNotFound', `table "${tableName}" does not exist`)
      // DynamoDB's item count is refreshed every few hours: a first estimate, raised as items come.
      const estimate = table.ItemCount ?? 0
      let bar: Progress | undefined
      const onProgress = (items: number) => {
        bar ??= output.progress(Math.max(estimate, items), 'exporting')
        bar.update(items, Math.max(estimate, items))
      }
      if (args.out === undefined) {
        try {
          const result = await exportTable(store, (line) => output.raw(`${line}\n`), {
            // A bar drawn on the terminal that shows the lines themselves would garble them.
            onProgress: terminal().stdout.isTTY ? undefined : onProgress,
          }).finally(() => bar?.stop())
          output.status(`exported ${result.items} items from "${tableName}"`)
        } catch (error) {
          // `chatdb export | head -1`: the reader has what it wanted.
          if (error instanceof StdoutClosed) return
          throw error
        }
        return
      }
      const out = args.out
      const result = await writeFileAtomically(out, (writeText) =>
        exportTable(store, (line) => writeText(`${line}\n`), { onProgress }),
      ).finally(() => bar?.stop())
      output.result(
        { ...result, file: out },
        (r) => `exported ${r.items} items from "${r.tableName}" to ${r.file}`,
      )
    }),
}
