import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { createDynamoLockStore } from '../../../src/migrator/dynamoLockStore.js'
import { isMigrationError } from '../../../src/migrator/errors.js'
import { createMigrator, type MigratorOptions } from '../../../src/migrator/migrator.js'
import { createMigrationFile } from '../../../src/migrator/scaffold.js'
import type { Migration } from '../../../src/migrator/types.js'
import { createTestTable, newDocumentClient, useTestTable } from '../../support/dynamo.js'

const noop = (version: number, name: string, up: Migration['up'] = async () => {}): Migration => ({
  version,
  name,
  description: name,
  up,
  async down() {},
})

describe('createMigrator with the DynamoDB ledger and lock store', () => {
  const t = useTestTable()
  // Each test gets its own table, so ledgers never mix.
  let tableName = ''
  beforeEach(async () => {
    tableName = await createTestTable(t.documentClient, 'migrator')
  })
  const migrator = (migrations: Migration[], options: Partial<MigratorOptions> = {}) =>
    createMigrator({ documentClient: t.documentClient, tableName, migrations, ...options })
  const lockStore = () => createDynamoLockStore({ documentClient: t.documentClient, tableName })

  describe('lock', () => {
    it('lets exactly one of two concurrent up runs go; the other fails at once naming the holder', async () => {
      let release = () => {}
      const gate = new Promise<void>((resolve) => {
        release = resolve
      })
      let runs = 0
      const slow = [
        noop(1, 'slow', async () => {
          runs++
          await gate
        }),
      ]
      // Two clients, as two processes would have.
      const other = newDocumentClient()
      const first = migrator(slow, { ranBy: 'ada@one' }).up()
      const second = createMigrator({
        documentClient: other,
        tableName,
        migrations: slow,
        ranBy: 'bob@two',
      }).up()
      const loser = await Promise.race([
        first.then(
          () => 'first finished',
          () => 'first failed',
        ),
        second.then(
          () => 'second finished',
          () => 'second failed',
        ),
      ])
      expect(loser).toMatch(/failed$/)
      release()
      const settled = await Promise.allSettled([first, second])
      other.destroy()
      expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1)
      const rejected = settled.find((s) => s.status === 'rejected') as PromiseRejectedResult
      expect(isMigrationError(rejected.reason, 'migration.locked')).toBe(true)
      expect(rejected.reason.message).toMatch(
        /locked by (ada@one|bob@two) \(pid \d+, run \w+\) since \d{4}-\d\d-\d\dT/,
      )
      expect(runs).toBe(1)
      expect((await migrator(slow).status()).migrations[0]?.state).toBe('applied')
    })

    it('refuses a lock left by a dead run until --force-unlock, and then takes it over', async () => {
      const locks = lockStore()
      await locks.acquire({
        owner: 'dead@host',
        now: Date.now() - 120_000,
        leaseMs: 60_000,
        takeOverExpired: false,
      })
      const list = [noop(1, 'first'), noop(2, 'second')]
      const refused = await migrator(list)
        .up()
        .catch((error: unknown) => error)
      expect(isMigrationError(refused, 'migration.locked')).toBe(true)
      expect((refused as Error).message).toMatch(/locked by dead@host since .*lease expired .*--force-unlock/)
      const report = await migrator(list).up({ forceUnlock: true })
      expect(report.results.map((r) => r.name)).toEqual(['first', 'second'])
      expect(await locks.read()).toBeUndefined()
    })

    it('never takes over a live lease, even with --force-unlock', async () => {
      const locks = lockStore()
      await locks.acquire({
        owner: 'alive@host',
        now: Date.now(),
        leaseMs: 60_000,
        takeOverExpired: false,
      })
      const list = [noop(1, 'first')]
      const refused = await migrator(list)
        .up({ forceUnlock: true })
        .catch((error: unknown) => error)
      expect(isMigrationError(refused, 'migration.locked')).toBe(true)
      expect((refused as Error).message).toMatch(/alive@host.*wait for that run to finish/)
      const status = await migrator(list).status()
      expect(status.lock).toMatchObject({ owner: 'alive@host', expired: false })
      expect(status.migrations[0]?.state).toBe('pending')
      await locks.release('alive@host')
    })

    it('renews its lease while it runs', async () => {
      const locks = lockStore()
      const seen: number[] = []
      const list = [
        noop(1, 'waits-for-renewal', async () => {
          // Waits (bounded) until the lease has been extended past the one first taken.
          for (let i = 0; i < 200 && new Set(seen).size < 2; i++) {
            const lock = await locks.read()
            if (lock) seen.push(lock.leaseUntil)
            await new Promise((resolve) => setTimeout(resolve, 10))
          }
        }),
      ]
      await migrator(list, { leaseMs: 60 }).up()
      expect(new Set(seen).size).toBeGreaterThanOrEqual(2)
      expect(seen[seen.length - 1]).toBeGreaterThan(seen[0] as number)
    })
  })

  describe('checksums', () => {
    it('reports drift of an applied migration, refuses up, and accepts it with --force', async () => {
      const original = noop(10, 'drifting', async (ctx) => ctx.notice('first version'))
      await migrator([original]).up()
      const changed = noop(10, 'drifting', async (ctx) => ctx.notice('second version'))
      const extra = noop(11, 'after-drift')
      const status = await migrator([changed, extra]).status()
      expect(status.migrations.map((m) => m.state)).toEqual(['drifted', 'pending'])
      const refused = await migrator([changed, extra])
        .up()
        .catch((error: unknown) => error)
      expect(isMigrationError(refused, 'migration.drifted')).toBe(true)
      expect((refused as Error).message).toMatch(/010_drifting/)
      expect((await migrator([changed, extra]).status()).migrations[1]?.state).toBe('pending')
      const report = await migrator([changed, extra]).up({ force: true })
      expect(report.acceptedDrift).toEqual([10])
      expect(report.results.map((r) => r.name)).toEqual(['after-drift'])
      const [accepted] = (await migrator([changed, extra]).status()).migrations
      expect(accepted).toMatchObject({ state: 'applied' })
      expect(accepted?.ledger?.previousChecksum).toBeDefined()
      expect(accepted?.ledger?.previousChecksum).not.toBe(accepted?.checksum)
    })
  })

  describe('failures', () => {
    it('wraps a failure with name, direction and cause, and records it in the ledger', async () => {
      const cause = new Error('boom')
      const failing = noop(20, 'failing', async () => {
        throw cause
      })
      const error = await migrator([failing])
        .up()
        .catch((e: unknown) => e)
      expect(isMigrationError(error, 'migration.failed')).toBe(true)
      expect((error as Error).message).toBe('migration 020_failing failed (up): boom')
      expect((error as Error).cause).toBe(cause)
      expect(error).toMatchObject({ migration: { version: 20, name: 'failing' }, direction: 'up' })
      const [status] = (await migrator([failing]).status()).migrations
      expect(status?.ledger).toMatchObject({
        status: 'failed',
        direction: 'up',
        error: (error as Error).message,
      })
      // Fixed, it runs again (a failed migration counts as pending).
      const fixed = noop(20, 'failing')
      expect((await migrator([fixed]).up()).results.map((r) => r.outcome)).toEqual(['applied'])
    })

    it('refuses to roll back a migration without down before changing anything', async () => {
      const oneWay: Migration = { version: 30, name: 'one-way', description: '', up: async () => {} }
      await migrator([oneWay]).up()
      t.counter.reset()
      const error = await migrator([oneWay])
        .down()
        .catch((e: unknown) => e)
      expect(isMigrationError(error, 'migration.irreversible')).toBe(true)
      expect(t.counter.writes()).toBe(0)
    })
  })

  describe('--to and down', () => {
    it('applies up to a version, rolls back to a version, newest first', async () => {
      const order: string[] = []
      const step = (version: number, name: string): Migration => ({
        version,
        name,
        description: name,
        up: async () => {
          order.push(`up ${name}`)
        },
        down: async () => {
          order.push(`down ${name}`)
        },
      })
      const list = [step(40, 'a'), step(41, 'b'), step(42, 'c')]
      await migrator(list).up({ to: 'b' })
      await migrator(list).up({ to: '042' })
      await migrator(list).down({ to: 40 })
      await migrator(list).down()
      expect(order).toEqual(['up a', 'up b', 'up c', 'down c', 'down b', 'down a'])
      // Up to b leaves c (rolled back) unapplied, and the report says so, also with nothing to do.
      const upToB = await migrator(list).up({ to: 'b' })
      expect(upToB).toMatchObject({ to: 41, notApplied: ['042_c'] })
      expect(upToB.results.map((r) => r.name)).toEqual(['a', 'b'])
      expect(await migrator(list).up({ to: 'b' })).toMatchObject({ results: [], notApplied: ['042_c'] })
      expect((await migrator(list).up({ to: 42, dryRun: true })).notApplied).toEqual([])
      const unknown = await migrator(list)
        .up({ to: 'nope' })
        .catch((e: unknown) => e)
      expect(isMigrationError(unknown, 'migration.unknownVersion')).toBe(true)
    })
  })
})

describe('createMigrationFile', () => {
  it('writes the next version from the template and adds it to the explicit list', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatdb-migrations-'))
    await writeFile(join(dir, '001_first.ts'), '')
    await writeFile(
      join(dir, 'index.ts'),
      [
        "import { migration as first } from './001_first.js'",
        '',
        'export const migrations = [',
        '  first,',
        '  // chatdb migrate create: new migrations are added above this line',
        ']',
        '',
      ].join('\n'),
    )
    const created = await createMigrationFile({ dir, name: 'room-topics' })
    expect(created).toEqual({
      file: join(dir, '002_room-topics.ts'),
      version: 2,
      indexUpdated: true,
      indexCreated: false,
    })
    expect(await readFile(created.file, 'utf8')).toMatch(/version: 2,\n {2}name: 'room-topics'/)
    // A project's migration is written against the package's migrator entry point, not its root.
    expect(await readFile(created.file, 'utf8')).toMatch(
      /^import type \{ Migration \} from 'chatdb\/migrator'$/m,
    )
    const index = await readFile(join(dir, 'index.ts'), 'utf8')
    // After the last import: the imports stay sorted.
    expect(index).toMatch(
      /^import \{ migration as first \} from '\.\/001_first\.js'\nimport \{ migration as roomTopics \} from '\.\/002_room-topics\.js'\n/,
    )
    expect(index).toMatch(/ {2}first,\n {2}roomTopics,\n {2}\/\/ chatdb migrate create/)
    const again = await createMigrationFile({ dir, name: 'room-topics' }).catch((e: unknown) => e)
    expect(isMigrationError(again, 'migration.exists')).toBe(true)
    // Numbered after the list it extends (chatdb's shipped migrations end at 2), and named safely.
    expect(await createMigrationFile({ dir, name: 'class', after: 7 })).toMatchObject({ version: 8 })
    expect(await readFile(join(dir, 'index.ts'), 'utf8')).toMatch(/ {2}roomTopics,\n {2}classMigration,\n/)
    const bad = await createMigrationFile({ dir, name: 'Room Topics' }).catch((e: unknown) => e)
    expect(isMigrationError(bad, 'migration.invalidOption')).toBe(true)
  })
})
