import type { CommandModule } from 'yargs'
import { bundledDatasetPath, loadSeedDataset } from '../../src/admin/seedDataset.js'
import { seedHistory } from '../../src/admin/seedHistory.js'
import { hasChatData } from '../../src/admin/seedTable.js'
import { createChatTable } from '../../src/admin/tableAdmin.js'
import { DEFAULT_TABLE_NAME } from '../../src/table.js'
import { type CliContext, DEFAULT_LOCAL_DIR, type GlobalOptions, withContext } from '../context.js'
import { CliError, EXIT } from '../errors.js'
import { holdGatewayOf } from '../gatewayLock.js'
import { interrupted, trapInterrupts } from '../interrupt.js'
import { cliInvocation } from '../invocation.js'
import { localFlag } from '../localDir.js'
import { reservePort } from '../port.js'
import { migrateDevStep } from './devMigrations.js'
import type { DevSetup, DevSetupStep } from './devSetup.js'
import { checkGatewayArgs, type GatewayArgs, gatewayOptions } from './gatewayFlags.js'
import { serveUntilSignal } from './serveUntilSignal.js'

/**
 * Test hook: a pause (ms) before each fixture batch after the first, which Ctrl-C cuts short, so
 * that a test can interrupt seeding at a known point. Unset outside tests.
 */
export const FIXTURE_PAUSE_ENV = 'CHATDB_TEST_FIXTURE_PAUSE_MS'

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
    async run({ store, output }, setup) {
      const dataset = loadSeedDataset(bundledDatasetPath())
      const pauseMs = Number(process.env[FIXTURE_PAUSE_ENV] ?? 0)
      // Every demo message is checked and the missing ones written, so a run stopped halfway
      // (Ctrl-C, a crash) is completed by the next one; "already loaded" means "all there".
      // A table with rooms and none of the demo's messages holds someone else's chat: left alone.
      let otherData: boolean | undefined
      const result = await seedHistory(store, dataset, {
        async beforeBatch({ written, missing }) {
          if (written === 0 && missing === dataset.messages.length) {
            otherData ??= await hasChatData(store)
            if (otherData) throw new SkipFixtures()
          }
          if (written > 0) {
            // "25 of 33 missing" read as if 8 were there: say "missing" only when some are.
            const present = dataset.messages.length - missing
            output.info(
              present === 0
                ? `fixtures: ${written} of ${missing} demo messages written`
                : `fixtures: ${written} of the ${missing} missing demo messages written (${present} were there)`,
            )
            if (pauseMs > 0) await setup.interrupt.sleep(pauseMs)
          }
          setup.interrupt.check()
        },
      }).catch((error: unknown) => {
        if (error instanceof SkipFixtures) return undefined
        throw error
      })
      if (!result) return 'skipped (the table holds other chat data: rooms, and none of the demo messages)'
      setup.demo = dataset
      const rooms = dataset.rooms.length
      if (result.written === 0) return `demo history complete (${rooms} rooms, ${result.messages} messages)`
      return result.present === 0
        ? `seeded ${rooms} rooms, ${dataset.users.length} users, ${result.written} messages`
        : `completed the demo history: ${result.written} missing messages written, ${result.present} were there`
    },
  },
]

class SkipFixtures extends Error {}

export const devCommand: CommandModule<GlobalOptions, GatewayArgs> = {
  command: 'dev',
  describe: `Local chat in one command: dynalite in ${DEFAULT_LOCAL_DIR}/, table, fixtures, gateway`,
  builder: (y) =>
    y
      .options(gatewayOptions)
      .check(checkGatewayArgs)
      .example('$0 dev', 'then, from another terminal: chatdb connect ws://127.0.0.1:3001') as never,
  handler: async (args) => {
    // The port before anything else: a busy one must not cost a table, migrations and fixtures.
    const reservation = await reservePort(args.host, args.port)
    // Embedded dynalite unless pointed at a DynamoDB endpoint explicitly.
    const local = args.local ?? (args.endpoint ? undefined : DEFAULT_LOCAL_DIR)
    // One gateway per directory, also refused before any set-up (see holdGatewayDirectory).
    const gatewayHold = await holdGatewayOf(
      local === undefined ? undefined : local || DEFAULT_LOCAL_DIR,
      args.host,
      reservation,
    )
    try {
      await withContext({ ...args, local }, async (context) => {
        const setup: DevSetup = {
          interrupt: trapInterrupts('chatdb dev setup', (line) => context.output.info(line)),
        }
        const steps: Record<string, string> = {}
        try {
          for (const step of devSetupSteps) {
            setup.interrupt.check()
            steps[step.name] = await step.run(context, setup)
            context.output.info(`${step.name}: ${steps[step.name]}`)
          }
        } catch (error) {
          if (setup.interrupt.received) throw interrupted('chatdb dev setup', setup.interrupt.received, error)
          throw error
        } finally {
          // From here on the gateway's own SIGINT/SIGTERM handling closes it.
          setup.interrupt.release()
        }
        await serveUntilSignal(context, args, {
          reservation,
          ready: {
            local: context.local?.dir,
            steps,
            dynamoEndpoint: context.endpoint,
            inspect: inspectCommand(context),
          },
          // Joined through the gateway, so they are real connections (see joinDemoMembers).
          async started(gateway) {
            if (!setup.demo) return {}
            const { joinDemoMembers } = await import('../demoMembers.js')
            const { members, subscriptions } = await joinDemoMembers(gateway.url, setup.demo)
            return { demo: { members, subscriptions } }
          },
        })
        return EXIT.ok
      })
    } finally {
      await reservation.release()
      gatewayHold.release()
    }
  },
}

/**
 * How to look at the running stack from another terminal: with `--local` the second command finds
 * this process's dynalite through the directory (see `runningLocalEndpoint`), otherwise the endpoint.
 */
function inspectCommand({ local, endpoint, tableName }: CliContext): string {
  const table = tableName === DEFAULT_TABLE_NAME ? '' : ` --table ${tableName}`
  const where = local ? ` ${localFlag(local.dir)}` : endpoint ? ` --endpoint ${endpoint}` : ''
  return `${cliInvocation()} inspect rooms${table}${where}`
}
