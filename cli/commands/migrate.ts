import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { CommandModule } from 'yargs'
import { migrations as shippedMigrations } from '../../migrations/index.js'
import { label } from '../../src/migrator/errors.js'
import { createMigrator, type RunReport } from '../../src/migrator/migrator.js'
import { createMigrationFile } from '../../src/migrator/scaffold.js'
import type { Migration } from '../../src/migrator/types.js'
import { type GlobalOptions, withContext } from '../context.js'
import { CliError } from '../errors.js'
import { fromFlags } from '../flagSettings.js'
import { type InterruptTrap, interrupted, trapInterrupts } from '../interrupt.js'
import { confirmOrRefuse, createOutput } from '../output.js'
import { createReporter, renderReport, renderStatus } from './migrateOutput.js'

interface Args extends GlobalOptions {
  action: 'status' | 'up' | 'down' | 'create'
  name?: string
  to?: string
  dryRun: boolean
  force: boolean
  forceUnlock: boolean
  segments: number
  pageSize: number
  leaseSeconds: number
  retentionDays?: number
  retentionFrom?: 'upgrade' | 'message-time'
  maxWcu?: number
  migrations?: string
  dir: string
}

export const migrateCommand: CommandModule<GlobalOptions, Args> = {
  command: 'migrate <action> [name]',
  describe: 'Versioned data migrations: status, up, down, create <name> (ledger and lock in the table)',
  builder: (y) =>
    y
      .positional('action', { choices: ['status', 'up', 'down', 'create'] as const, demandOption: true })
      .positional('name', { type: 'string', describe: 'create: the new migration, in kebab-case' })
      .option('to', {
        type: 'string',
        describe: 'up: last version to apply; down: version to roll back to (0 = all). Number or name',
      })
      .option('dry-run', {
        type: 'boolean',
        default: false,
        describe: 'Count what each migration would change; write nothing (not even the ledger or the lock)',
      })
      .option('force', {
        type: 'boolean',
        default: false,
        describe: 'Accept applied migrations whose checksum changed',
      })
      .option('force-unlock', {
        type: 'boolean',
        default: false,
        describe: 'Take over a lock whose lease expired (its run died)',
      })
      .option('segments', {
        type: 'number',
        default: 4,
        describe: 'Parallel scan segments of data migrations',
      })
      .option('page-size', {
        type: 'number',
        default: 500,
        describe: 'Items per scan page, i.e. per checkpoint (smaller pages: gentler on throughput)',
      })
      .option('lease-seconds', {
        type: 'number',
        default: 60,
        describe: 'Lock lease; renewed every third of it while the run lives, expired once it died',
      })
      .option('max-wcu', {
        type: 'number',
        describe:
          'up/down: write capacity units per second the migration may use (1 per started KB written, GSI copy included); throttling is backed off either way',
      })
      .option('retention-days', {
        type: 'number',
        describe: 'message-retention: days a message is kept (default $CHATDB_MESSAGE_RETENTION_DAYS or 90)',
      })
      .option('retention-from', {
        choices: ['upgrade', 'message-time'] as const,
        describe:
          "message-retention: count existing messages' retention from the upgrade (default: nothing becomes deletable before the retention has passed) or from each message's time (older history becomes deletable at once); default $CHATDB_MESSAGE_RETENTION_FROM or upgrade",
      })
      .option('migrations', {
        type: 'string',
        describe: "A module exporting your own `migrations` list (default: chatdb's)",
      })
      .option('dir', { type: 'string', default: 'migrations', describe: 'create: the migrations directory' })
      .example('$0 migrate status', 'what is applied, pending or drifted, and who holds the lock')
      .example('$0 migrate up --dry-run', 'what every pending migration would change, counts included')
      .example('$0 migrate up --yes', 'apply every pending migration')
      .example(
        '$0 migrate up --retention-from message-time --yes',
        'the same, letting TTL delete messages already older than the retention',
      )
      .example('$0 migrate up --max-wcu 500 --yes', 'the same, using at most 500 WCU/s of the table')
      .example('$0 migrate down --to 1 --yes', 'roll back every migration after version 1')
      .example(
        '$0 migrate create room-topics',
        'scaffold migrations/004_room-topics.ts and list it',
      ) as never,
  handler: async (args) => {
    if (args.action === 'create') return create(args)
    const { action } = args
    if (args.name !== undefined) {
      throw new CliError('cli.usage', `migrate ${args.action} takes no name (got "${args.name}")`)
    }
    // The migrator's own rules (src/config/settings.ts), checked before connecting so that a bad
    // flag is a usage error. No variable stands in here: the migrations read theirs themselves.
    fromFlags(args, {}, ['segments', 'pageSize', 'maxWcu', 'leaseSeconds', 'messageRetentionDays'])
    const list = await loadMigrations(args.migrations)
    await withContext(args, async ({ documentClient, tableName, output }) => {
      const reporter = createReporter(output)
      let trap: InterruptTrap | undefined
      const migrator = createMigrator({
        documentClient,
        tableName,
        migrations: list,
        segments: args.segments,
        pageSize: args.pageSize,
        leaseMs: args.leaseSeconds * 1000,
        maxWcu: args.maxWcu,
        reporter,
        migrationOptions: {
          ...(args.retentionDays === undefined ? {} : { messageRetentionDays: args.retentionDays }),
          ...(args.retentionFrom === undefined ? {} : { messageRetentionFrom: args.retentionFrom }),
        },
        // After a checkpoint is the safe point: what landed is recorded, so the run resumes there.
        hooks: { afterCheckpoint: () => trap?.check() },
      })
      if (action === 'status') {
        output.result(await migrator.status(), renderStatus(output))
        return
      }
      const direction = action
      if (!args.dryRun) {
        // The migrator's own plan (it checks --to); the run plans again under its lock.
        const { targets } = await migrator.plan(direction, { to: args.to })
        if (targets.length > 0) {
          await confirmOrRefuse(output, {
            yes: args.yes,
            question: `${direction === 'up' ? 'Apply' : 'Roll back'} ${targets.map(label).join(', ')} on table "${tableName}"?`,
            refusal: `refusing to migrate ${direction}`,
          })
        }
      }
      const options = { to: args.to, dryRun: args.dryRun, force: args.force, forceUnlock: args.forceUnlock }
      // Ctrl-C (or SIGTERM) stops the run after the current page's checkpoint; the migrator's
      // `finally` then releases the lock, instead of leaving it to its lease or --force-unlock.
      // A dry run holds no lock and writes nothing: Node's default (exit at once) is right for it.
      if (!args.dryRun) trap = trapInterrupts(`migrate ${direction}`, (line) => output.info(line))
      let report: RunReport
      try {
        report = await (direction === 'up' ? migrator.up(options) : migrator.down(options))
      } catch (error) {
        // The signal surfaces as the migration's failure (recorded, with its checkpoints): say
        // it was an interruption, and exit 130.
        if (trap?.received) throw interrupted(`migrate ${direction}`, trap.received, error)
        throw error
      } finally {
        reporter.stop()
        trap?.release()
      }
      output.result(report, renderReport)
    })
  },
}

async function create(args: Args) {
  if (!args.name)
    throw new CliError('cli.usage', 'migrate create needs a name', 'e.g. chatdb migrate create room-topics')
  const dir = resolve(args.dir)
  // Inside chatdb's own repository the template imports the type relatively; elsewhere from the package.
  const inRepository = existsSync(join(dirname(dir), 'src', 'migrator', 'types.ts'))
  const created = await createMigrationFile({
    dir,
    name: args.name,
    typesFrom: inRepository ? '../src/migrator/types.js' : 'chatdb/migrator',
    // A project's migrations follow chatdb's shipped ones: `[...migrations, ...mine]` must increase.
    after: Math.max(0, ...shippedMigrations.map((m) => m.version)),
    listFrom: inRepository ? undefined : 'chatdb/migrations',
  })
  const index = join(args.dir, 'index.ts')
  createOutput({ json: args.json }).result(created, (c) =>
    [
      c.indexUpdated
        ? `created ${c.file} (version ${c.version}) and added it to ${index}${c.indexCreated ? ", a new list of chatdb's migrations then yours" : ''}`
        : `created ${c.file} (version ${c.version}); add it to your migrations list`,
      ...(inRepository
        ? []
        : [
            `compile it (e.g. tsc), then: chatdb migrate up --migrations <the compiled ${index.replace(/\.ts$/, '.js')}>`,
          ]),
    ].join('\n'),
  )
}

async function loadMigrations(modulePath: string | undefined): Promise<readonly Migration[]> {
  if (modulePath === undefined) return shippedMigrations
  let loaded: { migrations?: unknown; default?: unknown }
  try {
    loaded = (await import(pathToFileURL(resolve(modulePath)).href)) as typeof loaded
  } catch (error) {
    // Node imports the module as it is: TypeScript needs compiling, or a loader (`--import tsx`).
    const typescript = /\.[cm]?tsx?$/.test(modulePath)
    throw new CliError(
      'cli.input',
      `cannot load ${modulePath}: ${(error as Error).message}`,
      typescript
        ? "compile your migrations (e.g. tsc) and pass the .js, or run chatdb under a TypeScript loader: NODE_OPTIONS='--import tsx' chatdb migrate …"
        : undefined,
    )
  }
  const list = loaded.migrations ?? loaded.default
  if (!Array.isArray(list)) {
    throw new CliError('cli.input', `${modulePath} exports no \`migrations\` array`)
  }
  return list as Migration[]
}
