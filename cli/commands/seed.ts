import type { CommandModule } from 'yargs'
import { generateDataset } from '../../src/admin/generateDataset.js'
import { bundledDatasetPath, loadSeedDataset, type SeedDataset } from '../../src/admin/seedDataset.js'
import { type SeedResult, seedTable } from '../../src/admin/seedTable.js'
import { type GlobalOptions, withContext } from '../context.js'
import { CliError } from '../errors.js'

interface Args extends GlobalOptions {
  file?: string
  rooms?: number
  users?: number
  messages?: number
  seed?: number
  dryRun: boolean
}

const GENERATED_DEFAULTS = { rooms: 5, users: 20, messages: 200, seed: 1 }

export const seedCommand: CommandModule<GlobalOptions, Args> = {
  command: 'seed',
  describe: "Write the bundled, a file's or a generated dataset (idempotent)",
  builder: (y) =>
    y
      .option('file', {
        type: 'string',
        describe: 'Dataset JSON file (default: the bundled fixtures/seed/default.json)',
      })
      .option('rooms', { type: 'number', describe: `Generate: rooms (default ${GENERATED_DEFAULTS.rooms})` })
      .option('users', { type: 'number', describe: `Generate: users (default ${GENERATED_DEFAULTS.users})` })
      .option('messages', {
        type: 'number',
        describe: `Generate: messages (default ${GENERATED_DEFAULTS.messages})`,
      })
      .option('seed', {
        type: 'number',
        describe: `Generate: PRNG seed, same seed same data (default ${GENERATED_DEFAULTS.seed})`,
      })
      .option('dry-run', {
        type: 'boolean',
        default: false,
        describe: 'Count what would be written, write nothing',
      })
      .conflicts('file', ['rooms', 'users', 'messages', 'seed'])
      .example(
        '$0 seed --rooms 10 --users 50 --messages 1000 --seed 7',
        'a generated, repeatable dataset',
      ) as never,
  handler: (args) =>
    withContext(args, async ({ repository, store, output }) => {
      const dataset = chooseDataset(args)
      if (args.dryRun) {
        const counts = {
          dryRun: true,
          rooms: dataset.rooms.length,
          users: dataset.users.length,
          subscriptions: dataset.rooms.reduce((n, r) => n + r.subscribers.length, 0),
          messages: dataset.messages.length,
        }
        output.result(
          counts,
          (c) =>
            `dry run: would seed ${c.rooms} rooms, ${c.users} users, ${c.subscriptions} subscriptions, ${c.messages} messages`,
        )
        return
      }
      let bar: ReturnType<typeof output.progress> | undefined
      const result = await seedTable(repository, store, dataset, {
        onProgress: (done, total) => {
          bar ??= output.progress(total, 'seeding')
          bar.update(done)
        },
      }).finally(() => bar?.stop())
      output.result(result, render)
    }),
}

function chooseDataset(args: Args): SeedDataset {
  const generated = [args.rooms, args.users, args.messages, args.seed].some((v) => v !== undefined)
  if (!generated) return loadSeedDataset(args.file ?? bundledDatasetPath())
  for (const name of ['rooms', 'users', 'messages', 'seed'] as const) {
    const value = args[name]
    if (value !== undefined && Number.isNaN(value))
      throw new CliError('cli.usage', `--${name} must be a number`, 'e.g. --rooms 5')
  }
  return generateDataset({
    rooms: args.rooms ?? GENERATED_DEFAULTS.rooms,
    users: args.users ?? GENERATED_DEFAULTS.users,
    messages: args.messages ?? GENERATED_DEFAULTS.messages,
    seed: args.seed ?? GENERATED_DEFAULTS.seed,
  })
}

function render(r: SeedResult): string {
  return [
    `seeded ${r.rooms} rooms and ${r.users} users:`,
    `  subscriptions: ${r.subscriptions.created} created, ${r.subscriptions.existing} already there`,
    `  messages: ${r.messages} written (${r.batchRequests} BatchWriteItem requests; same ids, so no duplicates)`,
  ].join('\n')
}
