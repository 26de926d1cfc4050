import type { Argv, CommandModule } from 'yargs'
import { inspectConnection } from '../../src/admin/inspectConnection.js'
import { inspectRoom, LARGE_ROOM_MEMBERS, type LargeRoomDetails } from '../../src/admin/inspectRoom.js'
import { inspectRooms } from '../../src/admin/inspectRooms.js'
import { inspectTable } from '../../src/admin/inspectTable.js'
import { inspectUser } from '../../src/admin/inspectUser.js'
import { ChatDbError } from '../../src/errors.js'
import { BASE_SUBSCRIPTION_SHARD } from '../../src/keys.js'
import { assertConnectionId, assertRoomName, assertUserName } from '../../src/validation.js'
import { type GlobalOptions, withContext } from '../context.js'
import { CliError } from '../errors.js'
import { escapeText, isoTime } from '../output.js'
import { unreadableLines } from '../unreadableRooms.js'

interface NameArgs extends GlobalOptions {
  name: string
  limit: number
}

const rooms: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'rooms',
  describe: 'Every room (active and inactive) with its subscriber and user counts',
  handler: (args) =>
    withContext(args, async ({ repository, store, output }) => {
      const result = await inspectRooms(repository, store)
      output.result(result, ({ rooms: list, unreadable }) =>
        [
          list.length === 0 && unreadable.length === 0
            ? 'no rooms'
            : output.table(
                ['room', 'active', 'created', 'subscribers', 'users'],
                // A large room's count comes from its counters: approximate (≈), and no user count.
                list.map((r) => [
                  r.shards === undefined ? r.roomName : `${r.roomName} (large, ${r.shards} shards)`,
                  r.active,
                  isoTime(r.createdAt),
                  r.shards === undefined ? r.subscribers : `≈${r.subscribers}`,
                  r.users ?? '-',
                ]),
              ),
          ...unreadableLines(unreadable, 'chatdb cleanup rooms says how to fix them'),
        ].join('\n'),
      )
    }),
}

const room: CommandModule<GlobalOptions, NameArgs & { members?: number }> = {
  command: 'room <name>',
  describe: 'A room: its state, users and recent messages (a large room: its shards and counts)',
  builder: (y) =>
    y
      .positional('name', { type: 'string', demandOption: true, describe: 'Room name' })
      .option('limit', { type: 'number', default: 20, describe: 'Recent messages to show' })
      .option('members', {
        type: 'number',
        describe: `Subscriptions to list (default: all of a small room, ${LARGE_ROOM_MEMBERS} of a large one)`,
      }) as never,
  handler: (args) =>
    withContext(args, async ({ repository, output, tableName }) => {
      const result = await inspectRoom(repository, assertRoomName(String(args.name)), {
        limit: args.limit,
        ...(args.members === undefined ? {} : { members: args.members }),
      })
      if (!result)
        throw notFound(
          `no room "${args.name}" in table "${tableName}"`,
          'list the rooms: chatdb inspect rooms',
        )
      output.result(result, (r) =>
        [
          `room "${escapeText(r.roomName)}": ${r.listed === undefined ? 'no state record' : r.listed ? 'active' : 'inactive'}, created ${isoTime(r.createdAt)}`,
          ...(r.large ? largeRoomLines(r.large) : []),
          r.large
            ? `users: ${r.large.users} distinct${r.users.length ? ` (of the members below: ${r.users.map(escapeText).join(', ')})` : ''}`
            : `users (${r.users.length}): ${r.users.map(escapeText).join(', ') || '-'}`,
          r.large
            ? output.table(
                ['connection', 'user', 'shard', 'subscribed'],
                r.subscribers.map((s) => [
                  s.connectionId,
                  s.userName,
                  shardName(s.shard),
                  isoTime(s.subscribedAt),
                ]),
              )
            : output.table(
                ['connection', 'user', 'subscribed'],
                r.subscribers.map((s) => [s.connectionId, s.userName, isoTime(s.subscribedAt)]),
              ),
          ...(r.membersOmitted
            ? [
                `… ${r.membersOmitted} more members not listed (--members N lists N; --json gives per-shard sizes)`,
              ]
            : []),
          `recent messages (${r.messages.length}, oldest first):`,
          output.table(
            ['time', 'user', 'message'],
            r.messages.map((m) => [isoTime(m.time), m.userName, m.message]),
          ),
        ].join('\n'),
      )
    }),
}

/** A large room in three lines: its layout and counts, how its shards fill, which counters are off. */
function largeRoomLines(large: LargeRoomDetails): string[] {
  const base = large.partitions.find((p) => p.shard === BASE_SUBSCRIPTION_SHARD)
  const { min, median, max } = large.distribution
  const off = large.countersOff ?? []
  return [
    `large room: ${large.shards} shards + the base partition; ${large.exactSubscribers} subscribers (exact read), ${large.subscriberCount} counted (approximate)`,
    `per shard: min ${min}, median ${median}, max ${max}; base partition ${base?.subscribers ?? 0}`,
    off.length === 0
      ? 'counters: all agree with the exact read'
      : `counters off (chatdb cleanup rooms repairs them): ${off
          .map((p) => `${shardName(p.shard)} counts ${p.counted ?? 'nothing'}, holds ${p.subscribers}`)
          .join('; ')}`,
  ]
}

function shardName(shard: number | undefined): string {
  return shard === BASE_SUBSCRIPTION_SHARD ? 'base' : `shard ${shard}`
}

const user: CommandModule<GlobalOptions, NameArgs> = {
  command: 'user <name>',
  describe: "A user's messages, grouped by room",
  builder: (y) =>
    y.positional('name', { type: 'string', demandOption: true, describe: 'User name' }) as never,
  handler: (args) =>
    withContext(args, async ({ repository, output, tableName }) => {
      const history = await inspectUser(repository, assertUserName(String(args.name)))
      if (!history) {
        throw notFound(
          `no messages from user "${args.name}" in table "${tableName}"`,
          'chatdb inspect room <room> lists who is where',
        )
      }
      const result = { userName: args.name, rooms: history }
      output.result(result, (r) =>
        r.rooms
          .map(
            (group) =>
              `${escapeText(group.roomName)} (${group.messages.length}):\n${output.table(
                ['time', 'message'],
                group.messages.map((m) => [isoTime(m.time), m.message]),
              )}`,
          )
          .join('\n'),
      )
    }),
}

const connection: CommandModule<GlobalOptions, GlobalOptions & { id: string }> = {
  command: 'connection <id>',
  describe: 'The rooms a connection is subscribed to',
  builder: (y) =>
    y.positional('id', { type: 'string', demandOption: true, describe: 'Connection id' }) as never,
  handler: (args) =>
    withContext(args, async ({ repository, output, tableName }) => {
      const rooms = await inspectConnection(repository, assertConnectionId(String(args.id)))
      if (!rooms) {
        throw notFound(
          `no subscriptions of connection "${args.id}" in table "${tableName}"`,
          'connection ids are listed by `chatdb inspect room <room>`',
        )
      }
      const result = { connectionId: args.id, rooms }
      output.result(result, (r) =>
        output.table(
          ['room', 'user'],
          r.rooms.map((s) => [s.roomName, s.userName]),
        ),
      )
    }),
}

const table: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'table',
  describe: 'Table status, key schema, GSI, TTL and item counts by entity (scans the table)',
  handler: (args) =>
    withContext(args, async ({ store, output, tableName }) => {
      const report = await inspectTable(store)
      // The same code, message and hint as every other command on a missing table (cli/errors.ts).
      if (!report) throw new ChatDbError('store.tableNotFound', `table "${tableName}" does not exist`)
      output.result(report, (r) =>
        [
          output.table(
            ['table', 'status', 'billing', 'keys', 'items (approx.)', 'bytes', 'TTL'],
            [
              [
                r.tableName,
                r.status,
                r.billingMode,
                r.keySchema,
                r.approximateItemCount,
                r.sizeBytes,
                `${r.timeToLive.status}${r.timeToLive.attribute ? ` (${r.timeToLive.attribute})` : ''}`,
              ],
            ],
          ),
          output.table(
            ['GSI', 'status', 'keys', 'projection'],
            r.indexes.map((i) => [i.name, i.status, i.keySchema, i.projection]),
          ),
          output.table(
            ['entity', 'items'],
            Object.entries(r.entities)
              .sort()
              .map(([entity, n]) => [entity, n]),
          ),
          `${r.scannedItems} items scanned`,
        ].join('\n'),
      )
    }),
}

export const inspectCommand: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'inspect <what>',
  describe: 'Look at rooms, a room, a user, a connection or the table',
  builder: (y: Argv<GlobalOptions>) =>
    y
      .command(rooms)
      .command(room as never)
      .command(user as never)
      .command(connection as never)
      .command(table)
      .demandCommand(1, 'Name what to inspect: rooms, room <name>, user <name>, connection <id> or table.')
      .example('$0 inspect room general --limit 5', 'users and the last 5 messages of "general"') as never,
  handler: () => {},
}

function notFound(message: string, hint: string): CliError {
  return new CliError('cli.notFound', message, hint)
}
