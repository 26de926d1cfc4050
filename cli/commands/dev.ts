import type { CommandModule } from 'yargs'
import { bundledDatasetPath, loadSeedDataset } from '../../src/admin/seedDataset.js'
import { hasChatData, seedTable } from '../../src/admin/seedTable.js'
import { createChatTable } from '../../src/admin/tableAdmin.js'
import { type CliContext, DEFAULT_LOCAL_DIR, type GlobalOptions, withContext } from '../context.js'
import { CliError, EXIT } from '../errors.js'
import { migrateDevStep } from './migrate.js'
import { checkPort, type GatewayArgs, gatewayOptions, serveUntilSignal } from './serve.js'

/** One step of bringing the local stack up; returns what it did, in a few words. */
export interface DevSetupStep {
  name: string
  run(context: CliContext): Promise<string>
}

/**
 * What `chatdb dev` does before starting the gateway, in order. This list is the hook point:
 * a step that must run once the table exists and before the fixtures (applying migrations)
 * goes between `table` and `fixtures`.
 */
export const devSetupSteps: DevSetupStep[] = [
  {
    name: 'table',
    async run({ documentClient, tableName }) {
      const { action, differences } = await createChatTable(documentClient, tableName)
      if (differences.length > 0) {
        throw new CliError(
          'cli.tableMismatch',
          `table "${tableName}" differs from the definition: ${differences.join('; ')}`,
          'use another --table, or delete it with `chatdb delete-table`',
        )
      }
      return action === 'created' ? 'created' : 'exists'
    },
  },
  migrateDevStep,
  {
    name: 'fixtures',
    async run({ repository, documentClient }) {
      if (await hasChatData(repository)) return 'skipped (the table has rooms already)'
      const result = await seedTable(repository, documentClient, loadSeedDataset(bundledDatasetPath()))
      return `seeded ${result.rooms} rooms, ${result.users} users, ${result.messages} messages`
    },
  },
]

export const devCommand: CommandModule<GlobalOptions, GatewayArgs> = {
  command: 'dev',
  describe: `Local chat in one command: dynalite in ${DEFAULT_LOCAL_DIR}/, table, fixtures, gateway`,
  builder: (y) =>
    y
      .options(gatewayOptions)
      .check(checkPort)
      .example('$0 dev', `then: npx wscat -c ws://127.0.0.1:3001`) as never,
  handler: (args) => {
    // Embedded dynalite unless pointed at a DynamoDB endpoint explicitly.
    const local = args.local ?? (args.endpoint ? undefined : DEFAULT_LOCAL_DIR)
    return withContext({ ...args, local }, async (context) => {
      const steps: Record<string, string> = {}
      for (const step of devSetupSteps) {
        steps[step.name] = await step.run(context)
        context.output.info(`${step.name}: ${steps[step.name]}`)
      }
      await serveUntilSignal(context, args, { local: context.local?.dir, steps })
      return EXIT.ok
    })
  },
}
