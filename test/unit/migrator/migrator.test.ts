import { describe, expect, it } from 'vitest'
import {
  parseLegacyMessageSortKey,
  parseLegacyRoomSortKey,
} from '../../../migrations/001_legacy-seed-layout.js'
import {
  existingExpiry,
  expiryOf,
  retentionDays,
  retentionFrom,
} from '../../../migrations/002_message-retention.js'
import { migrations } from '../../../migrations/index.js'
import { createDocumentClient } from '../../../src/client.js'
import { migrationChecksum } from '../../../src/migrator/checksum.js'
import { isMigrationError } from '../../../src/migrator/errors.js'
import { createMemoryLedger } from '../../../src/migrator/memoryLedger.js'
import { createMemoryLockStore } from '../../../src/migrator/memoryLockStore.js'
import { createMigrator } from '../../../src/migrator/migrator.js'
import { settingProblem } from '../../../src/migrator/runtime.js'
import { setTimeToLive } from '../../../src/migrator/timeToLive.js'
import type { Migration, MigrationReporter } from '../../../src/migrator/types.js'

// Never used for a request: these migrations touch no table.
const documentClient = createDocumentClient({ endpoint: 'http://127.0.0.1:9', region: 'local' })

const migration = (version: number, name: string, up: Migration['up'] = async () => {}): Migration => ({
  version,
  name,
  description: name,
  up,
  down: async () => {},
})

const memoryStores = () => ({ ledger: createMemoryLedger(), lockStore: createMemoryLockStore() })

const migratorWith = (list: Migration[], stores = memoryStores(), reporter?: MigrationReporter) =>
  createMigrator({
    documentClient,
    migrations: list,
    ...stores,
    reporter,
    ranBy: 'test@unit',
    now: () => 1_000,
  })

describe('createMigrator (memory ledger)', () => {
  describe('the list', () => {
    it('rejects versions out of order and duplicate names', () => {
      expect(() => migratorWith([migration(2, 'b'), migration(1, 'a')])).toThrowError(/increasing order/)
      expect(() => migratorWith([migration(1, 'a'), migration(2, 'a')])).toThrowError(
        /two migrations are named "a"/,
      )
      expect(() => migratorWith([migration(0, 'zero')])).toThrowError(/positive integers/)
    })

    it('ships legacy-seed-layout, message-retention and room-listing-shards, all reversible, with declared checksums', () => {
      expect(migrations.map((m) => [m.version, m.name, typeof m.down, typeof m.checksum])).toEqual([
        [1, 'legacy-seed-layout', 'function', 'string'],
        [2, 'message-retention', 'function', 'string'],
        [3, 'room-listing-shards', 'function', 'string'],
      ])
    })
  })

  describe('up', () => {
    it('runs pending migrations in order, records them, and reports progress', async () => {
      const events: string[] = []
      const stores = memoryStores()
      const reporter: MigrationReporter = {
        migrationStarted: (e) => events.push(`start ${e.name}`),
        notice: (e) => events.push(`notice ${e.message}`),
        migrationFinished: (r) => events.push(`finish ${r.name} ${r.outcome}`),
      }
      const list = [migration(1, 'a', async (ctx) => ctx.notice('hello')), migration(2, 'b')]
      const report = await migratorWith(list, stores, reporter).up()
      expect(report.results.map((r) => r.outcome)).toEqual(['applied', 'applied'])
      expect(events).toEqual(['start a', 'notice hello', 'finish a applied', 'start b', 'finish b applied'])
      expect(
        (await stores.ledger.executed()).map((e) => [e.version, e.status, e.ranBy, e.startedAt]),
      ).toEqual([
        [1, 'applied', 'test@unit', 1_000],
        [2, 'applied', 'test@unit', 1_000],
      ])
      expect(await stores.lockStore.read()).toBeUndefined()
    })

    it('dry run: the ledger and the lock receive no write at all, and the migration sees dryRun', async () => {
      const stores = memoryStores()
      let sawDryRun: boolean | undefined
      const list = [
        migration(1, 'a', async (ctx) => {
          sawDryRun = ctx.dryRun
          await ctx.write({ puts: [{ PutRequest: { Item: { pk: 'x', sk: 'y' } } }] })
        }),
      ]
      const report = await migratorWith(list, stores).up({ dryRun: true })
      expect(sawDryRun).toBe(true)
      expect(report.results[0]).toMatchObject({ outcome: 'would-apply', puts: 1, deletes: 0 })
      expect(stores.ledger.writes() + stores.lockStore.writes()).toBe(0)
    })

    it('resumes a failed run: finished steps are skipped, the rest runs', async () => {
      const stores = memoryStores()
      const calls: string[] = []
      let failOnce = true
      const list = [
        migration(1, 'two-steps', async (ctx) => {
          await ctx.step('first', async () => {
            calls.push('first')
            return { scanned: 3, changed: 2 }
          })
          await ctx.step('second', async () => {
            calls.push('second')
            if (failOnce) {
              failOnce = false
              throw new Error('interrupted')
            }
            return { scanned: 1, changed: 1 }
          })
        }),
      ]
      const failure = await migratorWith(list, stores)
        .up()
        .catch((e: unknown) => e)
      expect(isMigrationError(failure, 'migration.failed')).toBe(true)
      const [failed] = (await migratorWith(list, stores).status()).migrations
      expect(failed).toMatchObject({ state: 'failed', resumable: true })
      const report = await migratorWith(list, stores).up()
      expect(report.results[0]).toMatchObject({ resumed: true, itemsScanned: 4, itemsChanged: 3 })
      expect(calls).toEqual(['first', 'second', 'second'])
    })

    it('starts over instead of resuming when the failed migration changed', async () => {
      const stores = memoryStores()
      const failing = migration(1, 'x', async (ctx) => {
        await ctx.step('only', async () => ({ scanned: 1, changed: 1 }))
        throw new Error('after the step')
      })
      await migratorWith([failing], stores)
        .up()
        .catch(() => undefined)
      const fixed = migration(1, 'x', async (ctx) => {
        await ctx.step('only', async () => ({ scanned: 5, changed: 5 }))
      })
      const report = await migratorWith([fixed], stores).up()
      expect(report.results[0]).toMatchObject({ resumed: false, itemsScanned: 5 })
    })
  })

  describe('lock', () => {
    it('stops a run whose lock was taken over, and leaves the new holder its lock', async () => {
      const stores = memoryStores()
      let denied = () => {}
      const renewalDenied = new Promise<void>((resolve) => {
        denied = resolve
      })
      const renew = stores.lockStore.renew
      stores.lockStore.renew = async (owner, leaseUntil) => {
        const held = await renew(owner, leaseUntil)
        if (!held) denied()
        return held
      }
      const list = [
        migration(1, 'stalls', async () => {
          // Another run takes the lock over, as if this one had stalled past its lease...
          await stores.lockStore.acquire({
            owner: 'intruder',
            now: 10_000_000,
            leaseMs: 60_000,
            takeOverExpired: true,
          })
          // ...and this run's next renewal (every 10 ms here) finds out.
          await renewalDenied
          await new Promise((resolve) => setTimeout(resolve, 0))
        }),
      ]
      const error = await createMigrator({
        documentClient,
        migrations: list,
        ...stores,
        leaseMs: 30,
        now: () => 1_000,
      })
        .up()
        .catch((e: unknown) => e)
      expect(isMigrationError(error, 'migration.lockLost')).toBe(true)
      expect((error as Error).message).toMatch(/001_stalls failed \(up\).*took the migration lock over/)
      expect(await stores.lockStore.read()).toMatchObject({ owner: 'intruder' })
      expect((await stores.ledger.executed())[0]?.status).toBe('failed')
    })
  })

  describe('settings', () => {
    it('rejects segments, page sizes and leases out of range with migration.invalidOption', async () => {
      const invalid = (fn: () => unknown) => {
        try {
          fn()
        } catch (error) {
          return isMigrationError(error, 'migration.invalidOption')
        }
        return false
      }
      expect(invalid(() => createMigrator({ documentClient, migrations: [], pageSize: 0 }))).toBe(true)
      expect(invalid(() => createMigrator({ documentClient, migrations: [], leaseMs: 29 }))).toBe(true)
      const segments = await migratorWith([migration(1, 'a')])
        .up({ segments: 65 })
        .catch((e: unknown) => e)
      expect(isMigrationError(segments, 'migration.invalidOption')).toBe(true)
      expect(settingProblem({ segments: 64, pageSize: 1, leaseMs: 30 })).toBeUndefined()
      expect(settingProblem({ segments: 1.5 })).toEqual({
        setting: 'segments',
        rule: 'must be a whole number 1–64',
        value: 1.5,
      })
      expect(settingProblem({ pageSize: -1 })?.setting).toBe('pageSize')
    })
  })

  describe('plan', () => {
    it('says what up and down would run, and writes nothing', async () => {
      const stores = memoryStores()
      const list = [migration(1, 'a'), migration(2, 'b'), migration(3, 'c')]
      await migratorWith(list, stores).up({ to: 1 })
      const writes = stores.ledger.writes() + stores.lockStore.writes()
      const migrator = migratorWith(list, stores)
      const upToB = await migrator.plan('up', { to: 'b' })
      expect(upToB).toMatchObject({ direction: 'up', to: 2, notApplied: ['003_c'] })
      expect(upToB.targets.map((s) => s.name)).toEqual(['b'])
      expect((await migrator.plan('up')).targets.map((s) => s.name)).toEqual(['b', 'c'])
      expect((await migrator.plan('down', { to: 0 })).targets.map((s) => s.name)).toEqual(['a'])
      expect(stores.ledger.writes() + stores.lockStore.writes()).toBe(writes)
    })

    it('rejects an unknown --to with migration.unknownVersion, as the run does', async () => {
      const migrator = migratorWith([migration(1, 'a')])
      const error = await migrator.plan('up', { to: 'nope' }).catch((e: unknown) => e)
      expect(isMigrationError(error, 'migration.unknownVersion')).toBe(true)
      const zero = await migrator.plan('up', { to: 0 }).catch((e: unknown) => e)
      expect(isMigrationError(zero, 'migration.unknownVersion')).toBe(true)
    })
  })

  describe('status', () => {
    it('reports pending, applied, drifted and ledger records the code no longer has', async () => {
      const stores = memoryStores()
      await migratorWith([migration(1, 'a'), migration(2, 'b'), migration(3, 'gone')], stores).up()
      const changedB = migration(2, 'b', async (ctx) => ctx.notice('changed'))
      const status = await migratorWith([migration(1, 'a'), changedB, migration(4, 'new')], stores).status()
      expect(status.migrations.map((m) => [m.name, m.state])).toEqual([
        ['a', 'applied'],
        ['b', 'drifted'],
        ['new', 'pending'],
      ])
      expect(status.unknown.map((e) => e.name)).toEqual(['gone'])
    })
  })
})

describe('migrationChecksum', () => {
  it('follows the code but not its formatting, and a declared checksum when there is one', () => {
    const a = migrationChecksum(migration(1, 'a', async (ctx) => ctx.notice('x')))
    // biome-ignore format: the point is the spacing
    const spaced = migrationChecksum(migration(1, 'a', async (ctx) =>   ctx.notice('x')))
    const other = migrationChecksum(migration(1, 'a', async (ctx) => ctx.notice('y')))
    expect(a).toMatch(/^[0-9a-f]{64}$/)
    expect(spaced).toBe(a)
    expect(other).not.toBe(a)
    const declared = (up: Migration['up']) => migrationChecksum({ ...migration(1, 'a', up), checksum: 'a/1' })
    expect(declared(async () => {})).toBe(declared(async (ctx) => ctx.notice('z')))
  })
})

describe('legacy-seed-layout keys', () => {
  it('parses the seed literal room and message sort keys', () => {
    expect(parseLegacyRoomSortKey('true|1700000000000')).toEqual({ active: true, createdAt: 1700000000000 })
    expect(parseLegacyRoomSortKey('false|1')).toEqual({ active: false, createdAt: 1 })
    expect(parseLegacyRoomSortKey('true|2023-11-14T22:13:20.000Z|general')).toBeUndefined()
    expect(parseLegacyMessageSortKey('general', 'general|1700000000000|m-1')).toEqual({
      time: 1700000000000,
      id: 'm-1',
    })
    expect(parseLegacyMessageSortKey('general', 'general|2023-11-14T22:13:20.000Z|m-1')).toBeUndefined()
    expect(parseLegacyMessageSortKey('general', 'random|1700000000000|m-1')).toBeUndefined()
    expect(parseLegacyMessageSortKey('general', 'general|1700000000000|')).toBeUndefined()
  })
})

describe('message-retention options', () => {
  it('takes the option, else the environment, else 90 days, and rejects nonsense', () => {
    expect(retentionDays({ options: {}, env: {} })).toBe(90)
    expect(retentionDays({ options: {}, env: { CHATDB_MESSAGE_RETENTION_DAYS: '30' } })).toBe(30)
    expect(
      retentionDays({ options: { messageRetentionDays: 7 }, env: { CHATDB_MESSAGE_RETENTION_DAYS: '30' } }),
    ).toBe(7)
    expect(() => retentionDays({ options: {}, env: { CHATDB_MESSAGE_RETENTION_DAYS: 'soon' } })).toThrowError(
      'CHATDB_MESSAGE_RETENTION_DAYS must be a positive number (got "soon")',
    )
    expect(() => retentionDays({ options: { messageRetentionDays: -1 }, env: {} })).toThrowError(
      'messageRetentionDays must be a positive number (got -1)',
    )
  })

  it('expires a message retention days after it was sent, in epoch seconds', () => {
    expect(expiryOf(1_700_000_000_999, 1)).toBe(1_700_000_000 + 86_400)
  })

  it('counts existing messages from the upgrade unless asked to count from their time', () => {
    expect(retentionFrom({ options: {}, env: {} })).toBe('upgrade')
    expect(retentionFrom({ options: {}, env: { CHATDB_MESSAGE_RETENTION_FROM: 'message-time' } })).toBe(
      'message-time',
    )
    expect(
      retentionFrom({
        options: { messageRetentionFrom: 'upgrade' },
        env: { CHATDB_MESSAGE_RETENTION_FROM: 'message-time' },
      }),
    ).toBe('upgrade')
    expect(() => retentionFrom({ options: { messageRetentionFrom: 'soon' }, env: {} })).toThrowError(
      /"upgrade" or "message-time" \(got "soon" from messageRetentionFrom\)/,
    )
    const upgrade = 1_800_000_000_000
    expect(existingExpiry(1_700_000_000_000, 1, 'upgrade', upgrade)).toBe(1_800_000_000 + 86_400)
    expect(existingExpiry(1_900_000_000_000, 1, 'upgrade', upgrade)).toBe(1_900_000_000 + 86_400)
    expect(existingExpiry(1_700_000_000_000, 1, 'message-time', upgrade)).toBe(1_700_000_000 + 86_400)
  })
})

describe('setTimeToLive', () => {
  const failingWith = (name: string, message: string) =>
    ({
      send: async () => {
        throw Object.assign(new Error(message), { name })
      },
    }) as unknown as typeof documentClient

  it('tells unsupported (dynalite) and already-set apart from real failures', async () => {
    expect(
      await setTimeToLive(failingWith('UnknownOperationException', 'UnknownError'), 't', 'e', true),
    ).toBe('unsupported')
    expect(
      await setTimeToLive(
        failingWith('ValidationException', 'TimeToLive is already enabled'),
        't',
        'e',
        true,
      ),
    ).toBe('unchanged')
    await expect(setTimeToLive(failingWith('AccessDeniedException', 'no'), 't', 'e', true)).rejects.toThrow(
      'no',
    )
    const ok = { send: async () => ({}) } as unknown as typeof documentClient
    expect(await setTimeToLive(ok, 't', 'e', true)).toBe('changed')
  })
})
