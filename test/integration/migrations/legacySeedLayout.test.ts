import { readFileSync } from 'node:fs'
import { DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb'
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb'
import { beforeAll, describe, expect, inject, it, vi } from 'vitest'
import { migrations } from '../../../migrations/index.js'
import { presenceOutboxKey } from '../../../src/keys.js'
import { MIGRATION_PARTITION } from '../../../src/migrator/dynamoLedger.js'
import { isMigrationError } from '../../../src/migrator/errors.js'
import { createMigrator, type MigratorOptions } from '../../../src/migrator/migrator.js'
import type { MigrationRunResult } from '../../../src/migrator/types.js'
import { writeInBatches } from '../../../src/repository/batchWrite.js'
import { createTestTable, useTestTable } from '../../support/dynamo.js'
import { scanAll } from '../../support/scan.js'

type Item = Record<string, unknown>

const fixture = JSON.parse(
  readFileSync(new URL('../../../fixtures/legacy-seed-layout.json', import.meta.url), 'utf8'),
) as { items: Item[] }
// The migrations' clock. In the future: the upgrade gives messages `expiresAt` = this + 90 days,
// and on DynamoDB Local (whose TTL really deletes) a clock in the past would expire them.
const CLOCK = Date.UTC(2100, 0, 1)

async function load(documentClient: DynamoDBDocumentClient, tableName: string, items: Item[]) {
  await writeInBatches(
    documentClient,
    tableName,
    items.map((Item) => ({ PutRequest: { Item } })),
  )
}

/** The table without the ledger: what the migrations are about. */
async function chatItems(documentClient: DynamoDBDocumentClient, tableName: string) {
  return (await scanAll(documentClient, tableName)).filter((item) => item.pk !== MIGRATION_PARTITION)
}

function kinds(items: Item[]) {
  const count: Record<string, number> = {}
  for (const item of items) {
    const pk = String(item.pk)
    const kind =
      pk === 'Room'
        ? 'room'
        : pk.startsWith('Message|')
          ? 'message'
          : item.sk === '#room'
            ? 'roomState'
            : 'subscription'
    count[kind] = (count[kind] ?? 0) + 1
  }
  return count
}

const sortByKey = (items: Item[]) =>
  [...items].sort((a, b) => `${a.pk}\u0000${a.sk}`.localeCompare(`${b.pk}\u0000${b.sk}`, 'en'))

const byName = (results: MigrationRunResult[], name: string) => results.find((r) => r.name === name)

const TTL_UNSUPPORTED =
  'endpoint does not support UpdateTimeToLive; TTL not enabled (the data part is applied)'

describe('migration 001 legacy-seed-layout (with 002 message-retention)', () => {
  const t = useTestTable()
  const migrator = (options: Partial<MigratorOptions> = {}) =>
    createMigrator({
      documentClient: t.documentClient,
      tableName: t.tableName,
      migrations,
      now: () => CLOCK,
      batchWrite: { baseDelayMs: 1 },
      ...options,
    })

  beforeAll(async () => {
    await load(t.documentClient, t.tableName, fixture.items)
  })

  it('dry run: counts what would change and writes nothing, not even the ledger or the lock', async () => {
    const before = await scanAll(t.documentClient, t.tableName)
    t.counter.reset()
    const report = await migrator().up({ dryRun: true })
    expect(t.counter.writes()).toBe(0)
    expect(await scanAll(t.documentClient, t.tableName)).toEqual(before)
    const legacy = byName(report.results, 'legacy-seed-layout')
    expect(legacy).toMatchObject({ outcome: 'would-apply', itemsChanged: 22 })
    // 4 rooms → listing + guard each; 7 subscriptions and 11 messages rewritten.
    expect(legacy?.puts).toBe(4 * 2 + 7 + 11)
    // Legacy room records and old-keyed messages go (plus a no-op delete of each room's other state).
    expect(legacy?.deletes).toBe(4 + 4 + 11)
    // Counted against the table as it is: no message is in the new layout yet.
    expect(byName(report.results, 'message-retention')).toMatchObject({
      outcome: 'would-apply',
      itemsChanged: 0,
    })
  })

  it('up: every repository read works on the upgraded table, nothing lost or duplicated', async () => {
    const before = await chatItems(t.documentClient, t.tableName)
    const report = await migrator().up()
    expect(report.results.map((r) => [r.name, r.outcome])).toEqual([
      ['legacy-seed-layout', 'applied'],
      ['message-retention', 'applied'],
      ['room-listing-shards', 'applied'],
    ])
    // dynalite has no TTL: the migration says so and goes on; DynamoDB Local enables it.
    if (inject('dynamoEngine') === 'dynalite') {
      expect(byName(report.results, 'message-retention')?.notices).toContain(TTL_UNSUPPORTED)
    } else {
      expect(byName(report.results, 'message-retention')?.notices ?? []).not.toContain(TTL_UNSUPPORTED)
      const { TimeToLiveDescription } = await t.documentClient.send(
        new DescribeTimeToLiveCommand({ TableName: t.tableName }),
      )
      expect(TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' })
    }
    const after = await chatItems(t.documentClient, t.tableName)
    expect(kinds(before)).toEqual({ room: 4, subscription: 7, message: 11 })
    expect(kinds(after)).toEqual({ room: 4, roomState: 4, subscription: 7, message: 11 })
    expect(after.filter((item) => item._et === undefined)).toEqual([])

    const repository = t.repository()
    expect(await repository.activeRooms()).toEqual([
      { roomName: 'general', createdAt: 1700000000000 },
      { roomName: 'random', createdAt: 1700000360000 },
      { roomName: 'ada', createdAt: 1700000720000 },
    ])
    expect(await repository.userNamesInRoom('general')).toEqual(['ada', 'bob', 'carol'])
    expect(await repository.userNamesInRoom('ada')).toEqual(['ada', 'bob'])
    expect(await repository.userNamesInRoom('lounge')).toEqual([])
    expect(await repository.userNameFor('random', 'LxT4cdEFoAMCJ8Q=')).toBe('true')
    expect((await repository.roomsOfConnection('LxB2cdEFoAMCJ8Q=')).map((r) => r.roomName).sort()).toEqual([
      'ada',
      'general',
    ])
    const general = await repository.recentMessages('general')
    expect(general.map((m) => [m.id, m.userName, m.connectionId, m.time])).toEqual([
      ['m-0001', 'ada', 'LxA1cdEFoAMCJ8Q=', 1700000010000],
      ['m-0002', 'bob', 'LxB2cdEFoAMCJ8Q=', 1700000020000],
      ['m-0003', 'carol', 'LxC3cdEFoAMCJ8Q=', 1700000030000],
      ['m-0004', 'ada', 'LxA1cdEFoAMCJ8Q=', 1700000030000],
      ['m-0005', 'bob', 'LxB2cdEFoAMCJ8Q=', 1700000040000],
    ])
    expect((await repository.recentMessages('general', { limit: 2 })).map((m) => m.id)).toEqual([
      'm-0004',
      'm-0005',
    ])
    // The room called "ada" shares the GSI partition with the user ada: only her messages count.
    const history = await repository.historyOfUser('ada')
    expect(history.map((h) => [h.roomName, h.messages.map((m) => m.id)])).toEqual([
      ['ada', ['m-0009']],
      ['general', ['m-0001', 'm-0004']],
      ['lounge', ['m-0010']],
      ['random', ['m-0006']],
    ])
    expect((await repository.historyOfUser('true')).map((h) => h.roomName)).toEqual(['random'])
    const message = after.find((item) => item.sk === 'general|2023-11-14T22:13:30.000Z|m-0001')
    expect(message).toMatchObject({
      data: 'ada',
      connectionId: 'LxA1cdEFoAMCJ8Q=',
      // The retention of a message from before the upgrade counts from the upgrade.
      expiresAt: Math.floor(CLOCK / 1000) + 90 * 86_400,
    })
    const subscription = after.find((item) => item.sk === 'general|LxA1cdEFoAMCJ8Q=')
    expect(subscription).toMatchObject({
      roomName: 'general',
      userName: 'ada',
      subscribedAt: CLOCK,
      _et: 'Subscription',
    })
  })

  it('status: both applied, with counts and who ran them', async () => {
    const status = await migrator().status()
    expect(status.migrations.map((m) => [m.name, m.state])).toEqual([
      ['legacy-seed-layout', 'applied'],
      ['message-retention', 'applied'],
      ['room-listing-shards', 'applied'],
    ])
    expect(status.migrations[0]?.ledger).toMatchObject({
      itemsChanged: 22,
      status: 'applied',
      checkpoints: {},
    })
    expect(status.migrations[0]?.ledger?.ranBy).toMatch(/.+@.+/)
    expect(status.lock).toBeUndefined()
  })

  it('up again is a no-op: zero writes', async () => {
    const before = await scanAll(t.documentClient, t.tableName)
    t.counter.reset()
    const report = await migrator().up()
    expect(report.results).toEqual([])
    expect(t.counter.writes()).toBe(0)
    expect(await scanAll(t.documentClient, t.tableName)).toEqual(before)
  })

  it('down --to 0 restores the literal layout exactly', async () => {
    // A connection that came and left leaves a departure, which the seed's layout would read
    // as a subscription: down deletes it.
    const repository = t.repository()
    await repository.subscribe({ roomName: 'general', connectionId: 'came-and-left', userName: 'zed' })
    await repository.unsubscribe({ roomName: 'general', connectionId: 'came-and-left' })
    expect((await scanAll(t.documentClient, t.tableName)).filter((i) => i._et === 'Departure')).toHaveLength(
      1,
    )
    // So would an open `$disconnect` burst's presence outbox (a holder that died): down deletes it.
    await t.documentClient.send(
      new PutCommand({
        TableName: t.tableName,
        Item: {
          ...presenceOutboxKey('general'),
          _et: 'PresenceOutbox',
          leavers: new Set(['zed']),
          holder: 'h',
          since: 1,
        },
      }),
    )
    const report = await migrator().down({ to: 0 })
    expect(report.results.map((r) => [r.name, r.outcome])).toEqual([
      ['room-listing-shards', 'rolled-back'],
      ['message-retention', 'rolled-back'],
      ['legacy-seed-layout', 'rolled-back'],
    ])
    expect(await chatItems(t.documentClient, t.tableName)).toEqual(sortByKey(fixture.items))
    const status = await migrator().status()
    expect(status.migrations.map((m) => m.state)).toEqual(['rolled-back', 'rolled-back', 'rolled-back'])
  })

  it('up after down upgrades again to the same items', async () => {
    await migrator().up()
    const items = await chatItems(t.documentClient, t.tableName)
    expect(kinds(items)).toEqual({ room: 4, roomState: 4, subscription: 7, message: 11 })
    expect(items.filter((item) => item._et === undefined)).toEqual([])
  })
})

describe('migration 001 legacy-seed-layout on a table the seed left inconsistent', () => {
  const t = useTestTable()
  const extra: Item[] = [
    // Listed but empty: its last subscriber left and the flag never flipped (1 of 2 disagreeing).
    { pk: 'Room', sk: 'true|1700000800000', data: 'ghost' },
    // Unlisted but subscribed (2 of 2), and recorded twice under one name.
    { pk: 'Room', sk: 'false|1700000900000', data: 'back' },
    { pk: 'Room', sk: 'true|1700000950000', data: 'back', topic: 'kept' },
    { pk: 'Subscription|back', sk: 'back|LxK1cdEFoAMCJ8Q=', data: 'LxK1cdEFoAMCJ8Q=', userName: 'kim' },
    // Subscribed, but no room record at all.
    { pk: 'Subscription|orphan', sk: 'orphan|LxO1cdEFoAMCJ8Q=', data: 'LxO1cdEFoAMCJ8Q=', userName: 'olga' },
    // Not the seed's layout: left alone and reported.
    {
      pk: 'Message|general',
      sk: 'general|yesterday|x',
      data: 'LxA1cdEFoAMCJ8Q=',
      userName: 'ada',
      message: '?',
    },
  ]

  beforeAll(async () => {
    await load(t.documentClient, t.tableName, [...fixture.items, ...extra])
  })

  it('lists a room iff it has subscriptions, merges duplicates, keeps unknown attributes', async () => {
    const report = await createMigrator({
      documentClient: t.documentClient,
      tableName: t.tableName,
      migrations: migrations.slice(0, 1),
      now: () => 1700000000000,
    }).up()
    const notices = report.results[0]?.notices.join('\n') ?? ''
    expect(notices).toMatch(/2 room\(s\) had a legacy active flag that disagreed/)
    expect(notices).toMatch(
      /left 1 item\(s\) not in the seed's layout untouched, e.g. Message\|general \/ general\|yesterday\|x/,
    )

    const rooms = await t.repository().activeRooms()
    expect(rooms.map((r) => r.roomName)).toEqual(['general', 'orphan', 'random', 'ada', 'back'])
    expect(rooms.find((r) => r.roomName === 'back')?.createdAt).toBe(1700000900000)
    const items = await chatItems(t.documentClient, t.tableName)
    const roomRecords = items.filter((item) => item.pk === 'Room')
    expect(roomRecords.filter((item) => item.data === 'back')).toEqual([
      expect.objectContaining({ sk: 'true|2023-11-14T22:28:20.000Z|back', topic: 'kept', version: 1 }),
    ])
    expect(roomRecords.filter((item) => item.data === 'ghost')).toEqual([
      expect.objectContaining({ sk: 'false|2023-11-14T22:26:40.000Z|ghost', active: false }),
    ])
    expect(items.find((item) => item.sk === 'general|yesterday|x')).toEqual(extra[5])
  })

  it('down refuses, writing nothing, when two rooms share a creation millisecond', async () => {
    // "orphan" was created by the migration at the clock's time, which is general's creation time.
    const before = await chatItems(t.documentClient, t.tableName)
    const failure = await createMigrator({
      documentClient: t.documentClient,
      tableName: t.tableName,
      migrations: migrations.slice(0, 1),
    })
      .down()
      .catch((error: unknown) => error)
    expect(isMigrationError(failure, 'migration.irreversible')).toBe(true)
    expect((failure as Error).message).toMatch(
      /001_legacy-seed-layout failed \(down\).*true\|1700000000000: .*general/,
    )
    expect(await chatItems(t.documentClient, t.tableName)).toEqual(before)
  })
})

describe('migration 002 on a legacy table, then TTL at work (on the engine that has it)', () => {
  const t = useTestTable()
  // The real clock: TTL compares `expiresAt` with the engine's time, not with a migrator's clock.
  const upgrade = (tableName: string, migrationOptions: Record<string, unknown> = {}) =>
    createMigrator({
      documentClient: t.documentClient,
      tableName,
      migrations,
      batchWrite: { baseDelayMs: 1 },
      migrationOptions,
    }).up()
  const messagesIn = async (tableName: string) =>
    (await chatItems(t.documentClient, tableName)).filter((item) => item._et === 'Message')

  it('keeps the history from before the upgrade while TTL deletes what has expired', async () => {
    // The fixture's messages are from 2023. By default their retention counts from the upgrade;
    // a second table takes the operator's other choice, counting from each message's time,
    // which leaves its whole history expired.
    const byTime = await createTestTable(t.documentClient, 'by-time')
    await load(t.documentClient, t.tableName, fixture.items)
    await load(t.documentClient, byTime, fixture.items)
    const upgradeStarted = Math.floor(Date.now() / 1000)
    const [report, byTimeReport] = await Promise.all([
      upgrade(t.tableName),
      upgrade(byTime, { messageRetentionFrom: 'message-time' }),
    ])
    expect(report.results.map((r) => r.outcome)).toEqual(['applied', 'applied', 'applied'])
    expect(byTimeReport.results.map((r) => r.outcome)).toEqual(['applied', 'applied', 'applied'])
    const kept = await messagesIn(t.tableName)
    expect(kept).toHaveLength(11)
    for (const message of kept) expect(message.expiresAt).toBeGreaterThanOrEqual(upgradeStarted + 90 * 86_400)
    // What the migration gave the other table is expired: read from its report, as TTL on
    // DynamoDB Local may be deleting those messages already.
    const retentionOf = (r: typeof report) => byName(r.results, 'message-retention')?.details.retention
    expect(retentionOf(report)).toMatchObject({ given: 11, deletableOnceTtlIsOn: 0 })
    expect(retentionOf(byTimeReport)).toMatchObject({ given: 11, deletableOnceTtlIsOn: 11 })
    for (const message of await messagesIn(byTime)) expect(message.expiresAt).toBeLessThan(upgradeStarted)

    const retention = [report, byTimeReport].map((r) => byName(r.results, 'message-retention')?.notices)
    if (inject('dynamoEngine') === 'dynalite') {
      // dynalite has no TTL (no UpdateTimeToLive): the migration says so and applies its data
      // part, checked above. Nothing deletes expired items there; the sweep is DynamoDB Local's.
      for (const notices of retention) expect(notices).toContain(TTL_UNSUPPORTED)
      return
    }
    for (const notices of retention) expect(notices ?? []).not.toContain(TTL_UNSUPPORTED)
    for (const tableName of [t.tableName, byTime]) {
      const { TimeToLiveDescription } = await t.documentClient.send(
        new DescribeTimeToLiveCommand({ TableName: tableName }),
      )
      expect(TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' })
    }
    // A message sent after the upgrade with a retention that has passed: once it is gone, a
    // sweep has run over this table since. (A message, not any item: DynamoDB Local 3.3.0's
    // sweeper skips items outside the table's sparse GSI, which AWS's TTL does not.) DynamoDB
    // Local deletes an expired item within a second or two (AWS: typically within two days);
    // the wait is bounded all the same.
    const ada = 'LxA1cdEFoAMCJ8Q='
    const late = await t.repository({ messageRetentionDays: 1 }).postMessage({
      roomName: 'general',
      connectionId: ada,
      message: 'sent after the upgrade, kept one day',
      time: Date.now() - 2 * 86_400_000,
    })
    expect(late.stored).toBe(true)
    expect((await messagesIn(t.tableName)).map((item) => item.id)).toContain(late.message.id)
    await vi.waitFor(
      async () => {
        expect((await messagesIn(t.tableName)).map((item) => item.id)).not.toContain(late.message.id)
        expect(await messagesIn(byTime)).toEqual([])
      },
      { timeout: 60_000, interval: 250 },
    )
    expect(await messagesIn(t.tableName)).toEqual(kept)
  }, 120_000)
})
