import { describe, expect, it } from 'vitest'
import { migration as messageRetention } from '../../../migrations/002_message-retention.js'
import { migrations } from '../../../migrations/index.js'
import { isMigrationError } from '../../../src/migrator/errors.js'
import { createMigrator, type MigratorOptions } from '../../../src/migrator/migrator.js'
import { createTestTable, useTestTable } from '../../support/dynamo.js'
import { InjectedCrash, isInjectedCrash } from '../../support/injectedCrash.js'
import { scanAll } from '../../support/scan.js'

const DAY = 86_400_000
const NOW = Date.parse('2026-06-01T00:00:00.000Z')

describe('migration 002_message-retention', () => {
  const t = useTestTable()

  /** A table with `old` messages sent 200 days ago and `recent` ones sent yesterday. */
  async function tableWith(options: { old: number; recent: number; oldWithRetention?: number }) {
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
      ...post(plain, options.old, NOW - 200 * DAY),
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
        '12 message(s) considered: 8 given an expiresAt (90 days), 4 already had one',
        '10 of them are past their expiresAt: TTL will delete them once it is enabled',
      ]),
    )
  })

  it('a dry run says what would be given', async () => {
    const tableName = await tableWith({ old: 1, recent: 1 })
    const [result] = (await migrator(tableName).up({ dryRun: true })).results
    expect(result?.notices).toContain(
      '2 message(s) considered: 2 would be given an expiresAt (90 days), 0 already had one',
    )
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
