import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { createDynamoLedgerStore, MIGRATION_PARTITION } from '../../src/migrator/dynamoLedgerStore.js'
import { writeInBatches } from '../../src/repository/batchWrite.js'
import { CLI_MAIN, runCli } from '../support/cli.js'
import { createTestTable, dynamoEndpoint, useTestTable } from '../support/dynamo.js'
import { scanAll } from '../support/scan.js'

const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/legacy-seed-layout.json', import.meta.url), 'utf8'),
) as { items: Record<string, unknown>[] }

interface Report {
  dryRun: boolean
  results: { name: string; outcome: string; itemsChanged: number; notices: string[] }[]
}

describe('chatdb migrate', () => {
  const t = useTestTable()

  beforeAll(async () => {
    expect(existsSync(CLI_MAIN), 'the CLI is built (npm test builds it)').toBe(true)
    await writeInBatches(
      t.documentClient,
      t.tableName,
      fixture.items.map((Item) => ({ PutRequest: { Item } })),
    )
  })

  it('status, dry run, a refused unconfirmed up, up --yes, then status again', async () => {
    const table = t.tableName
    const pending = await runCli(['migrate', 'status', '--json'], { table })
    expect(pending.code).toBe(0)
    expect(pending.json<{ migrations: { state: string }[] }>().migrations.map((m) => m.state)).toEqual([
      'pending',
      'pending',
    ])

    const before = await scanAll(t.documentClient, table)
    const dry = await runCli(['migrate', 'up', '--dry-run', '--json'], { table })
    expect(dry.code).toBe(0)
    expect(dry.json<Report>().results.map((r) => [r.name, r.outcome, r.itemsChanged])).toEqual([
      ['legacy-seed-layout', 'would-apply', 22],
      ['message-retention', 'would-apply', 0],
    ])
    const unconfirmed = await runCli(['migrate', 'up'], { table })
    expect(unconfirmed.code).toBe(1)
    expect(unconfirmed.stderr).toMatch(
      /^cli.confirmationRequired: refusing to migrate up without confirmation/,
    )
    expect(await scanAll(t.documentClient, table)).toEqual(before)

    const up = await runCli(
      ['migrate', 'up', '--yes', '--json', '--segments', '2', '--retention-days', '30'],
      {
        table,
      },
    )
    expect(up.code).toBe(0)
    const report = up.json<Report>()
    expect(report.results.map((r) => [r.name, r.outcome])).toEqual([
      ['legacy-seed-layout', 'applied'],
      ['message-retention', 'applied'],
    ])
    expect(report.results[1]?.notices).toContain(
      'endpoint does not support UpdateTimeToLive; TTL not enabled (the data part is applied)',
    )
    const message = (await scanAll(t.documentClient, table)).find(
      (item) => item.sk === 'general|2023-11-14T22:13:30.000Z|m-0001',
    )
    expect(message?.expiresAt).toBe(1700000010 + 30 * 86_400)

    // The operator's inspect reads the upgraded table, per-user history included.
    const history = await runCli(['inspect', 'user', 'ada'], { table })
    expect(history.code).toBe(0)
    expect(history.stdout).toMatch(/from my second connection/)
    expect(history.stdout).toMatch(/last one here\?/)

    const applied = await runCli(['migrate', 'status'], { table })
    expect(applied.code).toBe(0)
    expect(applied.stdout).toMatch(/001 .*legacy-seed-layout .*applied/)
    expect(applied.stdout).toMatch(/not locked/)
  }, 120_000)

  it('reports usage and migration errors as one line with a non-zero exit', async () => {
    const table = t.tableName
    const unknown = await runCli(['migrate', 'down', '--to', 'nope', '--yes'], { table })
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toMatch(/^migration.unknownVersion: no migration "nope"/)
    expect(unknown.stderr).not.toMatch(/\n\s+at /)
    const badSegments = await runCli(['migrate', 'up', '--segments', '0'], { table })
    expect(badSegments.code).toBe(2)
    expect(badSegments.stderr).toMatch(/cli.usage: --segments must be an integer from 1 to 64/)
  })

  it('create writes the next migration and lists it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatdb-create-'))
    const migrations = join(dir, 'migrations')
    await runCli(['migrate', 'create', 'first-one', '--dir', migrations]).then((run) => {
      // No directory yet: a clear error.
      expect(run.code).toBe(1)
      expect(run.stderr).toMatch(/no migrations directory/)
    })
    await mkdir(migrations)
    const run = await runCli(['migrate', 'create', 'first-one', '--dir', migrations, '--json'])
    expect(run.code).toBe(0)
    expect(run.json()).toMatchObject({ version: 1, indexUpdated: false })
    expect(await readFile(join(migrations, '001_first-one.ts'), 'utf8')).toMatch(/from 'chatdb'/)
  })

  it('two concurrent `migrate up` processes: exactly one runs, the other fails at once naming the holder', async () => {
    const table = await createTestTable(t.documentClient, 'migrate-lock')
    const dir = await mkdtemp(join(tmpdir(), 'chatdb-lock-'))
    const release = join(dir, 'release')
    const module = join(dir, 'slow.mjs')
    // Each run writes a marker, then holds the lock until the test lets it go.
    await writeFile(
      module,
      `import { existsSync } from 'node:fs'
export const migrations = [{
  version: 1, name: 'slow', description: 'waits for the test', checksum: 'slow/1',
  async up(ctx) {
    await ctx.write({ puts: [{ PutRequest: { Item: { pk: 'Marker', sk: 'ran|' + process.pid } } }] })
    for (let i = 0; i < 1500 && !existsSync(${JSON.stringify(release)}); i++) await new Promise((r) => setTimeout(r, 20))
  },
}]
`,
    )
    const args = ['migrate', 'up', '--yes', '--json', '--migrations', module]
    const runs = [runCli(args, { table }), runCli(args, { table })]
    const first = await Promise.race(runs)
    expect(first.code).toBe(1)
    expect(first.stderr).toMatch(
      /^migration.locked: migrations are locked by .+@.+ \(pid \d+, run \w+\) since \d{4}-/,
    )
    await writeFile(release, '')
    const [a, b] = await Promise.all(runs)
    expect([a?.code, b?.code].sort()).toEqual([0, 1])
    const winner = a?.code === 0 ? a : b
    expect(winner?.json<Report>().results.map((r) => r.outcome)).toEqual(['applied'])
    const items = await scanAll(t.documentClient, table)
    expect(items.filter((item) => item.pk === 'Marker')).toHaveLength(1)
    expect(items.filter((item) => item.pk === MIGRATION_PARTITION)).toEqual([
      expect.objectContaining({ name: 'slow', status: 'applied' }),
    ])
  }, 120_000)
  it('a `migrate up` killed with SIGKILL: its lock outlives it until the lease expires, then --force-unlock resumes from the checkpoints', async () => {
    const table = await createTestTable(t.documentClient, 'migrate-kill')
    const items = Array.from({ length: 400 }, (_, i) => ({
      pk: 'Item',
      sk: `i-${String(i).padStart(3, '0')}`,
    }))
    await writeInBatches(
      t.documentClient,
      table,
      items.map((Item) => ({ PutRequest: { Item } })),
    )
    const dir = await mkdtemp(join(tmpdir(), 'chatdb-kill-'))
    const hang = join(dir, 'hang')
    const module = join(dir, 'tag.mjs')
    // Tags every item; logs what each process transformed; with the hang file present, stalls
    // (alive, renewing its lease) while on its 4th page, after 3 checkpoints.
    await writeFile(
      module,
      `import { appendFileSync, existsSync, writeFileSync } from 'node:fs'
let pages = 0
export const migrations = [{
  version: 1, name: 'tag-items', description: 'tags every item', checksum: 'tag/1',
  async up(ctx) {
    await ctx.scanRewrite({
      phase: 'items',
      transform(item) {
        if (item.pk !== 'Item' || item.tagged) return undefined
        appendFileSync(${JSON.stringify(join(dir, 'transformed-'))} + process.pid, item.sk + '\\n')
        return { puts: [{ PutRequest: { Item: { ...item, tagged: true } } }] }
      },
      async afterPage() {
        if (++pages === 4 && existsSync(${JSON.stringify(hang)})) {
          writeFileSync(${JSON.stringify(hang)} + '.ready', '')
          await new Promise(() => setInterval(() => {}, 1000))
        }
        return 0
      },
    })
  },
}]
`,
    )
    await writeFile(hang, '')
    const args = [
      'migrate',
      'up',
      '--yes',
      '--json',
      '--migrations',
      module,
      '--segments',
      '1',
      '--page-size',
      '50',
    ]
    const child = spawn(process.execPath, [CLI_MAIN, ...args, '--lease-seconds', '1'], {
      env: { ...process.env, AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint(), CHATDB_TABLE: table },
    })
    const exited = new Promise((done) => child.on('exit', done))
    for (let i = 0; i < 1500 && !existsSync(`${hang}.ready`); i++) await new Promise((r) => setTimeout(r, 20))
    expect(existsSync(`${hang}.ready`)).toBe(true)
    child.kill('SIGKILL')
    await exited
    await rm(hang)

    const store = createDynamoLedgerStore({ documentClient: t.documentClient, tableName: table })
    const [killed] = await store.executed()
    expect(killed).toMatchObject({ status: 'running', itemsScanned: 150 })
    expect(killed?.checkpoints.items?.segments?.[0]?.lastKey).toEqual({ pk: 'Item', sk: 'i-149' })
    const lock = await store.readLock()
    expect(lock?.owner).toContain(`pid ${child.pid}`)

    // The dead run's lease runs out within a second (it no longer renews).
    for (let i = 0; i < 300 && ((await store.readLock())?.leaseUntil ?? 0) >= Date.now(); i++) {
      await new Promise((r) => setTimeout(r, 20))
    }
    const refused = await runCli(args, { table })
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/^migration.locked: .*lease expired .*--force-unlock/)

    const resumed = await runCli([...args, '--force-unlock'], { table })
    expect(resumed.code).toBe(0)
    expect(resumed.json<{ results: { outcome: string; resumed: boolean }[] }>().results).toEqual([
      expect.objectContaining({ outcome: 'applied', resumed: true }),
    ])
    const after = await scanAll(t.documentClient, table)
    expect(after.filter((item) => item.pk === 'Item' && item.tagged === true)).toHaveLength(400)
    // Every item transformed exactly once: pages 1-4 by the killed run (its 4th page had
    // landed, not checkpointed), pages 5-8 by the resumed one, which skipped the 4th as tagged.
    const logs = (await readdir(dir)).filter((name) => name.startsWith('transformed-'))
    const transformed = await Promise.all(logs.map((name) => readFile(join(dir, name), 'utf8')))
    const counts = transformed.map((text) => text.trim().split('\n').length).sort((a, b) => a - b)
    expect(counts).toEqual([200, 200])
    expect(new Set(transformed.flatMap((text) => text.trim().split('\n'))).size).toBe(400)
  }, 120_000)

  it('Ctrl-C during `migrate up`: stops after the page checkpoint, releases the lock, exits 130; the next run resumes', async () => {
    const table = await createTestTable(t.documentClient, 'migrate-sigint')
    const items = Array.from({ length: 200 }, (_, i) => ({
      pk: 'Item',
      sk: `i-${String(i).padStart(3, '0')}`,
    }))
    await writeInBatches(
      t.documentClient,
      table,
      items.map((Item) => ({ PutRequest: { Item } })),
    )
    const dir = await mkdtemp(join(tmpdir(), 'chatdb-sigint-'))
    const paused = join(dir, 'paused')
    const go = join(dir, 'go')
    const module = join(dir, 'tag.mjs')
    // Tags every item; on its 2nd page (writes landed, checkpoint not yet saved) it says so and
    // waits for the test, which signals the process meanwhile: the moment is deterministic.
    await writeFile(
      module,
      `import { existsSync, writeFileSync } from 'node:fs'
let pages = 0
export const migrations = [{
  version: 1, name: 'tag-items', description: 'tags every item', checksum: 'tag/1',
  async up(ctx) {
    await ctx.scanRewrite({
      phase: 'items',
      transform(item) {
        if (item.pk !== 'Item' || item.tagged) return undefined
        return { puts: [{ PutRequest: { Item: { ...item, tagged: true } } }] }
      },
      async afterPage() {
        if (++pages === 2 && !existsSync(${JSON.stringify(go)})) {
          writeFileSync(${JSON.stringify(paused)}, '')
          while (!existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 20))
        }
        return 0
      },
    })
  },
}]
`,
    )
    const args = [
      'migrate',
      'up',
      '--yes',
      '--json',
      '--migrations',
      module,
      '--segments',
      '1',
      '--page-size',
      '50',
    ]
    const child = spawn(process.execPath, [CLI_MAIN, ...args], {
      env: { ...process.env, AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint(), CHATDB_TABLE: table },
    })
    let stderr = ''
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)))
    for (let i = 0; i < 1500 && !existsSync(paused); i++) await new Promise((r) => setTimeout(r, 20))
    expect(existsSync(paused)).toBe(true)
    child.kill('SIGINT')
    // The trap says it heard the signal before the page goes on.
    for (let i = 0; i < 500 && !/SIGINT: migrate up stops/.test(stderr); i++) {
      await new Promise((r) => setTimeout(r, 20))
    }
    await writeFile(go, '')
    expect(await exited).toBe(130)
    expect(stderr).toMatch(/^cli\.interrupted: migrate up interrupted by SIGINT/m)
    expect(stderr).not.toMatch(/\n\s+at /)

    const store = createDynamoLedgerStore({ documentClient: t.documentClient, tableName: table })
    expect(await store.readLock()).toBeUndefined()
    const [stopped] = await store.executed()
    // Stopped right after the 2nd page's checkpoint: nothing of the 3rd page was read.
    expect(stopped).toMatchObject({ status: 'failed', itemsScanned: 100 })
    expect(stopped?.checkpoints.items?.segments?.[0]?.lastKey).toEqual({ pk: 'Item', sk: 'i-099' })
    const tagged = (await scanAll(t.documentClient, table)).filter((item) => item.tagged === true)
    expect(tagged).toHaveLength(100)

    // No --force-unlock needed: the lock is free, and the run resumes from the checkpoint.
    const resumed = await runCli(args, { table })
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(resumed.json<{ results: { outcome: string; resumed: boolean }[] }>().results).toEqual([
      expect.objectContaining({ outcome: 'applied', resumed: true }),
    ])
    const after = await scanAll(t.documentClient, table)
    expect(after.filter((item) => item.pk === 'Item' && item.tagged === true)).toHaveLength(200)
  }, 120_000)
})
