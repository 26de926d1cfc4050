import { describe, expect, it } from 'vitest'
import { migration as messageRetention } from '../../../migrations/002_message-retention.js'
import { migrations } from '../../../migrations/index.js'
import { isMigrationError } from '../../../src/migrator/errors.js'
import { createMigrator, type MigratorOptions } from '../../../src/migrator/migrator.js'
import { createTestTable, useTestTable } from '../../support/dynamo.js'
import { InjectedCrash, isInjectedCrash } from '../../support/injectedCrash.js'
import { scanAll } from '../../support/scan.js'

const DAY = 86_400_000
const NOW = Date.parse('2100-06-01T00:00:00.000Z')

describe('migration 002_message-retention', () => {
  const t = useTestTable()

  /** A table with `old` messages sent 200 days ago (or `oldAge` ms) and `recent` ones sent yesterday. */
  async function tableWith(options: {
    old: number
    recent: number
    oldWithRetention?: number
    oldAge?: number
  }) {
    const tableName = await createTestTable(t.documentClient, 'retention')
    const plain = t.repository({ tableName, now: () => NOW })
    // New code writing messages with a retention before the migration ran: they have an expiresAt.
    const retaining = t.repository({ tableName, now: () => NOW, messageRetentionDays: 90 })
    await plain.subscribe({ roomName: 'general', connectionId: 'AAAAAAAAAAAAAAA=', userName: 'ada' })
    const post = (repository: typeof plain, count: number, time: number) =>
      Array.from({ length: count }, (_, i) =>
        repository.postMessage({
          roomName: 'general',
          connectionId: 'AAAAAAAAAAAAAAA=',
          message: `m${i}`,
          time,
        }),
      )
    await Promise.all([
      ...post(plain, options.old, NOW - (options.oldAge ?? 200 * DAY)),
      ...post(plain, options.recent, NOW - DAY),
      ...post(retaining, options.oldWithRetention ?? 0, NOW - 200 * DAY),
    ])
    return tableName
  }

  const migrator = (tableName: string, options: Partial<MigratorOptions> = {}) =>
    createMigrator({
      documentClient: t.documentClient,
      tableName,
      migrations: [messageRetention],
      now: () => NOW,
      segments: 1,
      batchWrite: { baseDelayMs: 1 },
      ...options,
    })

  it('counts every message it considered, those that already had an expiresAt included', async () => {
    const tableName = await tableWith({ old: 6, recent: 2, oldWithRetention: 4 })
    const [result] = (await migrator(tableName).up()).results
    expect(result?.notices).toEqual(
      expect.arrayContaining([
        '12 message(s) considered: 8 given an expiresAt (90 days from the upgrade, 2100-06-01T00:00:00.000Z, or from a later message time), 4 already had one',
        // Those the router wrote with a retention of its own before the migration.
        '4 of them are past their expiresAt: TTL will delete them once it is enabled',
        'the others cannot be deleted before 2100-08-30T00:00:00.000Z',
      ]),
    )
  })

  /** Every message's time and expiresAt (epoch seconds). */
  const expiries = async (tableName: string) =>
    (await scanAll(t.documentClient, tableName))
      .filter((item) => item._et === 'Message')
      .map((item) => ({ time: Number(item.time), expiresAt: item.expiresAt as number | undefined }))

  it('makes no existing message deletable before the retention has passed after the upgrade', async () => {
    // Two-year-old history: by its own time, all 30 messages expired long ago.
    const tableName = await tableWith({ old: 30, recent: 2, oldAge: 730 * DAY })
    await migrator(tableName).up()
    const messages = await expiries(tableName)
    expect(messages).toHaveLength(32)
    // Yesterday's messages too: the retention runs from the upgrade for every existing message.
    expect(messages.map((m) => m.expiresAt)).toEqual(messages.map(() => (NOW + 90 * DAY) / 1000))
  })

  it("counts from each message's time only when the operator asks (messageRetentionFrom)", async () => {
    const tableName = await tableWith({ old: 3, recent: 1, oldAge: 730 * DAY })
    const [result] = (
      await migrator(tableName, { migrationOptions: { messageRetentionFrom: 'message-time' } }).up()
    ).results
    for (const { time, expiresAt } of await expiries(tableName)) {
      expect(expiresAt).toBe(Math.floor(time / 1000) + 90 * 86_400)
    }
    expect(result?.notices).toEqual(
      expect.arrayContaining([
        "4 message(s) considered: 4 given an expiresAt (90 days from each message's time), 0 already had one",
        '3 of them are past their expiresAt: TTL will delete them once it is enabled',
        'the others cannot be deleted before 2100-08-29T00:00:00.000Z',
      ]),
    )
    const env = await tableWith({ old: 1, recent: 0, oldAge: 730 * DAY })
    await migrator(env, { env: { CHATDB_MESSAGE_RETENTION_FROM: 'message-time' } }).up()
    expect((await expiries(env))[0]?.expiresAt).toBeLessThan(NOW / 1000)
  })

  it('a dry run says how many messages would become deletable, and from when', async () => {
    const tableName = await tableWith({ old: 2, recent: 1, oldAge: 730 * DAY })
    const before = await scanAll(t.documentClient, tableName)
    const [result] = (await migrator(tableName).up({ dryRun: true })).results
    expect(result?.notices).toEqual(
      expect.arrayContaining([
        '3 message(s) considered: 3 would be given an expiresAt (90 days from the upgrade, 2100-06-01T00:00:00.000Z, or from a later message time), 0 already had one',
        'none of them can be deleted before 2100-08-30T00:00:00.000Z',
      ]),
    )
    expect(result?.details.retention).toEqual({
      days: 90,
      from: 'upgrade',
      messagesConsidered: 3,
      given: 3,
      alreadyHad: 0,
      deletableOnceTtlIsOn: 0,
      earliestDeletion: '2100-08-30T00:00:00.000Z',
    })
    const [byTime] = (
      await migrator(tableName, { migrationOptions: { messageRetentionFrom: 'message-time' } }).up({
        dryRun: true,
      })
    ).results
    expect(byTime?.details.retention).toMatchObject({
      from: 'message-time',
      given: 3,
      deletableOnceTtlIsOn: 2,
      earliestDeletion: '2100-08-29T00:00:00.000Z',
    })
    expect(await scanAll(t.documentClient, tableName)).toEqual(before)
  })

  it('a run resumed days later keeps the horizon of its first attempt', async () => {
    const tableName = await tableWith({ old: 30, recent: 0, oldAge: 730 * DAY })
    const crash = await migrator(tableName, {
      pageSize: 10,
      hooks: {
        afterCheckpoint: ({ count }) => {
          if (count === 1) throw new InjectedCrash()
        },
      },
    })
      .up()
      .catch((e: unknown) => e)
    expect(isInjectedCrash(crash)).toBe(true)
    const partly = (await expiries(tableName)).filter((m) => m.expiresAt !== undefined)
    expect(partly.length).toBeGreaterThan(0)
    expect(partly.length).toBeLessThan(30)

    const later = migrator(tableName, { pageSize: 10, now: () => NOW + 10 * DAY })
    // The dry run reads the clock the resume will use.
    const [dry] = (await later.up({ dryRun: true })).results
    expect(dry?.details.retention).toMatchObject({ earliestDeletion: '2100-08-30T00:00:00.000Z' })
    const [result] = (await later.up()).results
    expect(result?.resumed).toBe(true)
    const messages = await expiries(tableName)
    expect(messages.map((m) => m.expiresAt)).toEqual(messages.map(() => (NOW + 90 * DAY) / 1000))
  })

  it('a resumed run counts its own pages and, apart, the totals with the earlier attempts', async () => {
    const tableName = await tableWith({ old: 30, recent: 0 })
    // 30 messages and the room's items, in pages of 10: crash after the first page landed.
    const crashing = migrator(tableName, {
      pageSize: 10,
      hooks: {
        afterCheckpoint: ({ count }) => {
          if (count === 1) throw new InjectedCrash()
        },
      },
    })
    const crash = await crashing.up().catch((e: unknown) => e)
    expect(isMigrationError(crash, 'migration.failed')).toBe(true)
    expect(isInjectedCrash(crash)).toBe(true)
    const [result] = (await migrator(tableName, { pageSize: 10 }).up()).results
    expect(result?.resumed).toBe(true)
    const summary = result?.notices.find((n) => n.includes('considered')) ?? ''
    const [, considered, given] = /^(\d+) message\(s\) considered: (\d+) given/.exec(summary) ?? []
    expect(Number(considered)).toBe(Number(given))
    expect(Number(considered)).toBeLessThan(30)
    expect(summary).toMatch(
      /with the pages of earlier attempts: \d+ item\(s\) scanned, 30 message\(s\) given one$/,
    )
  })

  it('keeps a message in its user-history shard, and 001 down writes the plain user name', async () => {
    const tableName = await createTestTable(t.documentClient, 'retention')
    const sharded = t.repository({ tableName, now: () => NOW, userHistoryShards: 4 })
    await sharded.subscribe({ roomName: 'general', connectionId: 'AAAAAAAAAAAAAAA=', userName: 'guest' })
    for (let i = 0; i < 12; i++)
      await sharded.postMessage({
        roomName: 'general',
        connectionId: 'AAAAAAAAAAAAAAA=',
        message: `m${i}`,
        id: `s-${i}`,
      })
    const dataOf = async () =>
      new Map(
        (await scanAll(t.documentClient, tableName))
          .filter((item) => item._et === 'Message')
          .map((item) => [item.id, { data: item.data, expiresAt: item.expiresAt }]),
      )
    const before = await dataOf()
    expect(new Set([...before.values()].map((v) => v.data)).size).toBeGreaterThan(1)
    await migrator(tableName).up()
    const after = await dataOf()
    for (const [id, { data }] of before) {
      expect(after.get(id)?.data).toBe(data)
      expect(after.get(id)?.expiresAt).toBeTypeOf('number')
    }
    expect((await sharded.historyOfUser('guest')).flatMap((g) => g.messages)).toHaveLength(12)

    // Down to the seed's layout (001 down): `userName` is the plain name, `data` the connection.
    await createMigrator({
      documentClient: t.documentClient,
      tableName,
      migrations,
      now: () => NOW,
      segments: 1,
      batchWrite: { baseDelayMs: 1 },
    }).up()
    await createMigrator({ documentClient: t.documentClient, tableName, migrations, now: () => NOW }).down({
      to: 0,
    })
    const legacy = (await scanAll(t.documentClient, tableName)).filter((item) =>
      String(item.pk).startsWith('Message|'),
    )
    expect(legacy).toHaveLength(12)
    for (const item of legacy) {
      expect(item.userName).toBe('guest')
      expect(item.data).toBe('AAAAAAAAAAAAAAA=')
    }
  })
})
