import type { CommandModule } from 'yargs'
import type { GlobalOptions } from '../context.js'
import { cleanupCommand } from './cleanup.js'
import { connectCommand } from './connect.js'
import { createTableCommand } from './createTable.js'
import { deleteTableCommand } from './deleteTable.js'
import { devCommand } from './dev.js'
import { exportCommand } from './export.js'
import { importCommand } from './import.js'
import { inspectCommand } from './inspect.js'
import { migrateCommand } from './migrate.js'
import { seedCommand } from './seed.js'
import { serveCommand } from './serve.js'

/**
 * Every `chatdb` command, in the order `--help` lists them. A new command is one module in this
 * folder and one entry here.
 *
 * Builders end in `as never`: yargs types the parsed options under their kebab-case names only
 * (`'dry-run'`), while handlers read the camel-case aliases yargs also sets (`dryRun`), which
 * each module declares in its own `Args` interface.
 */
// biome-ignore lint/suspicious/noExplicitAny: each module declares its own arguments on top of the globals
export const commands: CommandModule<GlobalOptions, any>[] = [
  createTableCommand,
  deleteTableCommand,
  seedCommand,
  inspectCommand,
  cleanupCommand,
  migrateCommand,
  exportCommand,
  importCommand,
  serveCommand,
  devCommand,
  connectCommand,
]
