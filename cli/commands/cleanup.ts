import type { Argv, CommandModule } from 'yargs'
import { cleanupConnection, cleanupStale, pruneMessages, reconcileRooms } from '../../src/admin/cleanup.js'
import { createConnectionProbe } from '../../src/admin/connectionProbe.js'
import { parseDuration } from '../../src/admin/duration.js'
import { UNREADABLE_ROOM_FIX } from '../../src/admin/unreadableRoom.js'
import { assertConnectionId } from '../../src/validation.js'
import { checkHttpUrl } from '../checks.js'
import { type GlobalOptions, withContext } from '../context.js'
import { EXIT } from '../errors.js'
import { confirmOrRefuse, escapeText } from '../output.js'
import { unreadableLines } from '../unreadableRooms.js'

interface DryRun extends GlobalOptions {
  dryRun: boolean
}

const dryRunOption = {
  type: 'boolean',
  default: false,
  describe: 'Count what would be done, change nothing',
} as const
const wouldOr = (dryRun: boolean, done: string, would: string) => (dryRun ? `dry run: would ${would}` : done)

const connection: CommandModule<GlobalOptions, DryRun & { id: string }> = {
  command: 'connection <id>',
  describe: 'Remove every subscription of a connection, as $disconnect does',
  builder: (y) =>
    y.positional('id', { type: 'string', demandOption: true }).option('dry-run', dryRunOption) as never,
  handler: (args) =>
    withContext(args, async ({ repository, output }) => {
      const connectionId = assertConnectionId(String(args.id))
      if (!args.dryRun) {
        await confirmOrRefuse(output, {
          yes: args.yes,
          question: `Remove every subscription of connection ${connectionId}?`,
          refusal: `refusing to remove the subscriptions of ${connectionId}`,
        })
      }
      const result = await cleanupConnection(repository, connectionId, { dryRun: args.dryRun })
      output.result(result, (r) =>
        wouldOr(
          r.dryRun,
          `removed ${r.subscriptions} subscriptions of ${escapeText(r.connectionId)}${r.rooms.length ? ` (${r.rooms.map((x) => escapeText(x.roomName)).join(', ')})` : ''}`,
          `remove ${r.subscriptions} subscriptions of ${escapeText(r.connectionId)}${r.rooms.length ? ` (${r.rooms.map((x) => escapeText(x.roomName)).join(', ')})` : ''}`,
        ),
      )
    }),
}

const stale: CommandModule<GlobalOptions, DryRun & { managementEndpoint: string; concurrency: number }> = {
  command: 'stale',
  describe: 'Probe every subscribed connection with GetConnection; remove those that answer 410 Gone',
  builder: (y) =>
    y
      .option('management-endpoint', {
        type: 'string',
        demandOption: true,
        describe: 'The @connections API: https://{apiId}.execute-api.{region}.amazonaws.com/{stage}',
      })
      .option('concurrency', { type: 'number', default: 8, describe: 'Probes in flight' })
      .option('dry-run', dryRunOption)
      .check(({ managementEndpoint }) => {
        const example = 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod'
        checkHttpUrl(
          '--management-endpoint',
          managementEndpoint as string | undefined,
          `--management-endpoint ${example}`,
        )
        return true
      }) as never,
  handler: (args) =>
    withContext(args, async ({ repository, documentClient, store, output }) => {
      if (!args.dryRun) {
        await confirmOrRefuse(output, {
          yes: args.yes,
          question: 'Remove the subscriptions of every connection that answers 410 Gone?',
          refusal: 'refusing to remove stale subscriptions',
        })
      }
      // Same region and credentials as the DynamoDB client, whatever chain resolved them.
      const { probe, close } = createConnectionProbe({
        endpoint: args.managementEndpoint,
        region: documentClient.config.region,
        credentials: documentClient.config.credentials,
      })
      try {
        const result = await cleanupStale(repository, store, probe, {
          dryRun: args.dryRun,
          concurrency: args.concurrency,
        })
        output.result(result, (r) =>
          [
            `probed ${r.probed} connections: ${r.stale.length} gone, ${r.errors.length} unanswered (kept)`,
            wouldOr(
              r.dryRun,
              `removed ${r.subscriptions} subscriptions`,
              `remove ${r.subscriptions} subscriptions`,
            ),
            ...groupErrors(r.errors),
          ].join('\n'),
        )
        // Unanswered connections were kept: the job is not done, and a script must know.
        return result.errors.length > 0 ? EXIT.failure : EXIT.ok
      } finally {
        close()
      }
    }),
}

/**
 * One line per distinct error with how many connections got it and a few of their ids: 2,000
 * connections failing alike make one line, not 2,000 (--json keeps every one).
 */
export function groupErrors(errors: { connectionId: string; error: string }[]): string[] {
  const byError = new Map<string, string[]>()
  for (const { connectionId, error } of errors) {
    const ids = byError.get(error) ?? []
    ids.push(connectionId)
    byError.set(error, ids)
  }
  return [...byError].map(([error, ids]) => {
    const shown = ids.slice(0, 3).map(escapeText).join(', ')
    return `  ${ids.length} × ${escapeText(error)} (${shown}${ids.length > 3 ? `, … ${ids.length - 3} more` : ''})`
  })
}

const rooms: CommandModule<GlobalOptions, DryRun> = {
  command: 'rooms',
  describe: "Reconcile every room's active flag with its actual subscriptions",
  builder: (y) => y.option('dry-run', dryRunOption) as never,
  handler: (args) =>
    withContext(args, async ({ repository, store, output }) => {
      const result = await reconcileRooms(repository, store, { dryRun: args.dryRun })
      output.result(result, (r) =>
        [
          `${r.rooms} rooms checked, ${r.changes.length} ${r.dryRun ? 'would change' : 'changed'}`,
          // Only large rooms have counters: a deployment without any keeps its two-column table.
          ...(r.countersRepaired > 0
            ? [
                `${r.countersRepaired} subscriber counters of large rooms ${r.dryRun ? 'off (would be repaired)' : 'repaired'}`,
              ]
            : []),
          ...(r.changes.length
            ? [
                r.changes.some((c) => c.countersRepaired !== undefined)
                  ? output.table(
                      ['room', 'action', 'counters repaired'],
                      r.changes.map((c) => [c.roomName, c.action, c.countersRepaired ?? 0]),
                    )
                  : output.table(
                      ['room', 'action'],
                      r.changes.map((c) => [c.roomName, c.action]),
                    ),
              ]
            : []),
          ...unreadableLines(r.unreadable, UNREADABLE_ROOM_FIX),
        ].join('\n'),
      )
    }),
}

const messages: CommandModule<GlobalOptions, DryRun & { olderThan: string }> = {
  command: 'messages',
  describe: 'Delete messages older than a duration',
  builder: (y) =>
    y
      .option('older-than', {
        type: 'string',
        demandOption: true,
        describe: 'e.g. 30d, 12h, 2w (units s, m, h, d, w)',
      })
      .option('dry-run', dryRunOption) as never,
  handler: (args) =>
    withContext(args, async ({ store, output }) => {
      const olderThanMs = parseDuration(args.olderThan)
      if (!args.dryRun) {
        await confirmOrRefuse(output, {
          yes: args.yes,
          question: `Delete every message older than ${args.olderThan}?`,
          refusal: 'refusing to delete messages',
        })
      }
      const result = await pruneMessages(store, { olderThanMs, dryRun: args.dryRun })
      output.result(result, (r) =>
        [
          wouldOr(
            r.dryRun,
            `deleted ${r.messages} messages older than ${r.cutoff}`,
            `delete ${r.messages} messages older than ${r.cutoff}`,
          ),
          ...(r.messages ? [output.table(['room', 'messages'], Object.entries(r.rooms).sort())] : []),
        ].join('\n'),
      )
    }),
}

export const cleanupCommand: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'cleanup <what>',
  describe: 'Remove a connection, stale connections or old messages; reconcile rooms',
  builder: (y: Argv<GlobalOptions>) =>
    y
      .command(connection as never)
      .command(stale as never)
      .command(rooms as never)
      .command(messages as never)
      .demandCommand(1, 'Name what to clean up: connection <id>, stale, rooms or messages.')
      .example(
        '$0 cleanup messages --older-than 30d --dry-run',
        'count messages older than 30 days',
      ) as never,
  handler: () => {},
}
