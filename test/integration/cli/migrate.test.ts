import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import { createDynamoLedger, MIGRATION_PARTITION } from '../../../src/migrator/dynamoLedger.js'
import { createDynamoLockStore } from '../../../src/migrator/dynamoLockStore.js'
import { writeInBatches } from '../../../src/repository/batchWrite.js'
import { CLI_MAIN, runBin, runCli } from '../../support/cli.js'
import { createTestTable, dynamoEndpoint, useTestTable } from '../../support/dynamo.js'
import { scanAll } from '../../support/scan.js'

const fixture = JSON.parse(
  readFileSync(new URL('../../../fixtures/legacy-seed-layout.json', import.meta.url), 'utf8'),
) as { items: Record<string, unknown>[] }

const REPOSITORY = resolve(import.meta.dirname, '../../..')

/** Runs a tool to completion; `output` is its stdout and stderr, for the failure message. */
function exec(command: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd })
    let output = ''
    child.stdout.on('data', (chunk) => {
      output += chunk
    })
    child.stderr.on('data', (chunk) => {
      output += chunk
    })
    child.on('close', (code) => done({ code: code ?? -1, output }))
  })
}

interface Report {
  dryRun: boolean
  results: { name: string; outcome: string; itemsChanged: number; notices: string[] }[]
}

/** `count` items `{ pk: 'Item', sk: 'i-000' … }` for a migration to page through. */
async function putNumberedItems(documentClient: DynamoDBDocumentClient, table: string, count: number) {
  const items = Array.from({ length: count }, (_, i) => ({
    pk: 'Item',
    sk: `i-${String(i).padStart(3, '0')}`,
  }))
  await writeInBatches(
    documentClient,
    table,
    items.map((Item) => ({ PutRequest: { Item } })),
  )
}

type Key = { pk: string; sk: string }

/**
 * The keys a migration process logged, one JSON key a line, in the order its scan met them.
 * A Scan's order across partitions is the engine's (by hash of the partition key on DynamoDB):
 * the ledger's and the lock's items may come before the test's items or after them.
 */
async function loggedKeys(file: string): Promise<Key[]> {
  return (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Key)
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
      'pending',
    ])

    const before = await scanAll(t.documentClient, table)
    const dry = await runCli(['migrate', 'up', '--dry-run', '--json'], { table })
    expect(dry.code).toBe(0)
    expect(dry.json<Report>().results.map((r) => [r.name, r.outcome, r.itemsChanged])).toEqual([
      ['legacy-seed-layout', 'would-apply', 22],
      ['message-retention', 'would-apply', 0],
      ['room-listing-shards', 'would-apply', 0],
    ])
    const unconfirmed = await runCli(['migrate', 'up'], { table })
    expect(unconfirmed.code).toBe(1)
    expect(unconfirmed.stderr).toMatch(
      /^cli.confirmationRequired: refusing to migrate up without confirmation/,
    )
    expect(await scanAll(t.documentClient, table)).toEqual(before)

    const upStarted = Math.floor(Date.now() / 1000)
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
      ['room-listing-shards', 'applied'],
    ])
    // dynalite has no TTL: the migration says so and goes on; DynamoDB Local enables it.
    const unsupported =
      'endpoint does not support UpdateTimeToLive; TTL not enabled (the data part is applied)'
    if (inject('dynamoEngine') === 'dynalite') {
      expect(report.results[1]?.notices).toContain(unsupported)
    } else {
      expect(report.results[1]?.notices).not.toContain(unsupported)
      const { TimeToLiveDescription } = await t.documentClient.send(
        new DescribeTimeToLiveCommand({ TableName: table }),
      )
      expect(TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' })
    }
    const message = (await scanAll(t.documentClient, table)).find(
      (item) => item.sk === 'general|2023-11-14T22:13:30.000Z|m-0001',
    )
    // A 2023 message: its retention runs from the upgrade, not from its time.
    expect(message?.expiresAt).toBeGreaterThanOrEqual(upStarted + 30 * 86_400)
    expect(message?.expiresAt).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 30 * 86_400)

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

  it('message-retention on old history: --dry-run says what becomes deletable and when; only --retention-from message-time makes it deletable', async () => {
    const table = await createTestTable(t.documentClient, 'history')
    const twoYearsAgo = Date.now() - 730 * 86_400_000
    const old = t.repository({ tableName: table, now: () => twoYearsAgo })
    await old.subscribe({ roomName: 'general', connectionId: 'AAAAAAAAAAAAAAA=', userName: 'ada' })
    for (const message of ['a', 'b', 'c'])
      await old.postMessage({ roomName: 'general', connectionId: 'AAAAAAAAAAAAAAA=', message })
    const before = Math.floor(Date.now() / 1000)
    type Details = { details: { retention?: Record<string, unknown> } }
    const retentionOf = (run: Awaited<ReturnType<typeof runCli>>) =>
      run
        .json<{ results: (Report['results'][number] & Details)[] }>()
        .results.find((r) => r.name === 'message-retention')?.details.retention

    const dry = await runCli(['migrate', 'up', '--dry-run', '--json'], { table })
    expect(dry.code, dry.stderr).toBe(0)
    const kept = retentionOf(dry)
    expect(kept).toMatchObject({ from: 'upgrade', given: 3, deletableOnceTtlIsOn: 0 })
    expect(Date.parse(String(kept?.earliestDeletion)) / 1000).toBeGreaterThanOrEqual(before + 90 * 86_400)
    const human = await runCli(['migrate', 'up', '--dry-run', '--to', '2'], { table })
    expect(human.stdout + human.stderr).toMatch(/none of them can be deleted before \d{4}-/)

    const byTime = await runCli(
      ['migrate', 'up', '--dry-run', '--json', '--retention-from', 'message-time'],
      { table },
    )
    expect(retentionOf(byTime)).toMatchObject({ from: 'message-time', given: 3, deletableOnceTtlIsOn: 3 })

    expect((await runCli(['migrate', 'up', '--yes'], { table })).code).toBe(0)
    const expiries = (await scanAll(t.documentClient, table))
      .filter((item) => item._et === 'Message')
      .map((item) => Number(item.expiresAt))
    expect(expiries).toHaveLength(3)
    for (const expiresAt of expiries) expect(expiresAt).toBeGreaterThanOrEqual(before + 90 * 86_400)
  })

  it('reports usage and migration errors as one line with a non-zero exit', async () => {
    const table = t.tableName
    const unknown = await runCli(['migrate', 'down', '--to', 'nope', '--yes'], { table })
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toMatch(/^migration.unknownVersion: no migration "nope"/)
    expect(unknown.stderr).not.toMatch(/\n\s+at /)
    const badSegments = await runCli(['migrate', 'up', '--segments', '0'], { table })
    expect(badSegments.code).toBe(2)
    expect(badSegments.stderr).toContain('cli.usage: --segments must be a whole number 1–64 (got 0)')
  })

  it('up --to N with a later migration rolled back says what is left, not that all is applied', async () => {
    const table = await createTestTable(t.documentClient, 'to')
    expect((await runCli(['migrate', 'up', '--yes'], { table })).code).toBe(0)
    const allApplied = await runCli(['migrate', 'up', '--yes'], { table })
    expect(allApplied.stdout).toMatch(/^nothing to migrate: every migration is applied$/m)
    expect((await runCli(['migrate', 'down', '--to', '1', '--yes'], { table })).code).toBe(0)

    const upTo1 = await runCli(['migrate', 'up', '--to', '1', '--yes'], { table })
    expect(upTo1.code, upTo1.stderr).toBe(0)
    expect(upTo1.stdout).not.toMatch(/every migration is applied/)
    expect(upTo1.stdout).toMatch(
      /^nothing to migrate up to version 001: it and every migration before it are applied$/m,
    )
    expect(upTo1.stdout).toMatch(
      /^not applied after version 001: 002_message-retention, 003_room-listing-shards/m,
    )
    const json = await runCli(['migrate', 'up', '--to', 'legacy-seed-layout', '--yes', '--json'], { table })
    expect(json.json()).toMatchObject({
      results: [],
      to: 1,
      notApplied: ['002_message-retention', '003_room-listing-shards'],
    })

    const upTo3 = await runCli(['migrate', 'up', '--to', '3', '--yes'], { table })
    expect(upTo3.stdout).toMatch(/^2 migration\(s\) applied$/m)
    expect(upTo3.stdout).not.toMatch(/not applied after/)
  })

  it('create in a project that installs chatdb: makes the directory and list, numbers after the shipped 003', async () => {
    const project = await mkdtemp(join(tmpdir(), 'chatdb-project-'))
    await mkdir(join(project, 'node_modules'))
    await symlink(REPOSITORY, join(project, 'node_modules', 'chatdb'), 'dir')
    // chatdb is an ES module, and so is a project that imports it.
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'my-chat', type: 'module' }))
    // No migrations directory yet: create makes it, with an index listing chatdb's migrations first.
    const first = await runCli(['migrate', 'create', 'room-topics', '--json'], { cwd: project })
    expect(first.code, first.stderr).toBe(0)
    expect(first.json()).toMatchObject({ version: 4, indexCreated: true, indexUpdated: true })
    const second = await runCli(['migrate', 'create', 'delete', '--json'], { cwd: project })
    expect(second.json()).toMatchObject({ version: 5, indexCreated: false, indexUpdated: true })
    // Both files import from the package's entry points, which the compile below resolves: the
    // types from the migrator's, chatdb's list from its own.
    const index = await readFile(join(project, 'migrations', 'index.ts'), 'utf8')
    expect(index).toMatch(/^import type \{ Migration \} from 'chatdb\/migrator'$/m)
    expect(index).toMatch(/^import \{ migrations as chatdbMigrations \} from 'chatdb\/migrations'$/m)
    expect(await readFile(join(project, 'migrations', '004_room-topics.ts'), 'utf8')).toMatch(
      /^import type \{ Migration \} from 'chatdb\/migrator'$/m,
    )
    expect((await readdir(join(project, 'migrations'))).sort()).toEqual([
      '004_room-topics.ts',
      '005_delete.ts',
      'index.ts',
    ])
    const human = await runCli(['migrate', 'create', 'room-pins'], { cwd: project })
    expect(human.stdout).toMatch(
      /^created .*006_room-pins\.ts \(version 6\) and added it to migrations\/index\.ts/,
    )

    // The generated files pass Biome's recommended rules and tsc --strict as they are.
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noUncheckedIndexedAccess: true,
          verbatimModuleSyntax: true,
          skipLibCheck: true,
          types: [],
          rootDir: '.',
          outDir: 'dist',
        },
        include: ['migrations'],
      }),
    )
    const lint = await exec(join(REPOSITORY, 'node_modules/.bin/biome'), ['lint', 'migrations'], project)
    expect(lint.code, lint.output).toBe(0)
    const tsc = await exec(join(REPOSITORY, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], project)
    expect(tsc.code, tsc.output).toBe(0)

    // The CLI imports the list with Node: the compiled one runs, the .ts one is refused with the fix.
    // (The bin itself: in this process, vitest's module loader would import the .ts too.)
    const table = await createTestTable(t.documentClient, 'mine')
    const listed = await runBin(['migrate', 'status', '--migrations', 'dist/migrations/index.js', '--json'], {
      cwd: project,
      table,
    })
    expect(listed.code, listed.stderr).toBe(0)
    expect(listed.json<{ migrations: { version: number }[] }>().migrations.map((m) => m.version)).toEqual([
      1, 2, 3, 4, 5, 6,
    ])
    const source = await runBin(['migrate', 'status', '--migrations', 'migrations/index.ts'], {
      cwd: project,
      table,
    })
    expect(source.code).toBe(1)
    expect(source.stderr).toMatch(/^cli\.input: cannot load migrations\/index\.ts: .*\nhint: .*compile/m)
  })

  it('create inside chatdb lists the migration in migrations/index.ts; a file in the way is a clear error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatdb-create-'))
    await mkdir(join(dir, 'src', 'migrator'), { recursive: true })
    await writeFile(join(dir, 'src', 'migrator', 'types.ts'), '')
    const migrations = join(dir, 'migrations')
    const run = await runCli(['migrate', 'create', 'first-one', '--dir', migrations, '--json'])
    expect(run.code, run.stderr).toBe(0)
    expect(run.json()).toMatchObject({ version: 4, indexCreated: false, indexUpdated: false })
    expect(await readFile(join(migrations, '004_first-one.ts'), 'utf8')).toMatch(
      /from '\.\.\/src\/migrator\/types\.js'/,
    )
    const blocked = join(dir, 'blocked')
    await writeFile(blocked, '')
    const refused = await runCli(['migrate', 'create', 'x', '--dir', blocked])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/^migration\.invalidOption: cannot read the migrations directory/)
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
    const runs = [runBin(args, { table }), runBin(args, { table })]
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
    await putNumberedItems(t.documentClient, table, 400)
    const dir = await mkdtemp(join(tmpdir(), 'chatdb-kill-'))
    const hang = join(dir, 'hang')
    const module = join(dir, 'tag.mjs')
    // Tags every item; logs every key each process scanned and what it transformed; with the
    // hang file present, stalls (alive, renewing its lease) while on its 4th page, after 3
    // checkpoints.
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
        appendFileSync(${JSON.stringify(join(dir, 'scanned-'))} + process.pid, JSON.stringify({ pk: item.pk, sk: item.sk }) + '\\n')
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

    const ledger = createDynamoLedger({ documentClient: t.documentClient, tableName: table })
    const locks = createDynamoLockStore({ documentClient: t.documentClient, tableName: table })
    const [killed] = await ledger.executed()
    expect(killed).toMatchObject({ status: 'running', itemsScanned: 150 })
    // 4 pages read; the checkpoint is the 3rd page's last key, whatever the engine's scan order.
    const scanned = await loggedKeys(join(dir, `scanned-${child.pid}`))
    expect(scanned).toHaveLength(200)
    expect(killed?.checkpoints.items?.segments?.[0]?.lastKey).toEqual(scanned[149])
    const lock = await locks.read()
    expect(lock?.owner).toContain(`pid ${child.pid}`)

    // The dead run's lease runs out within a second (it no longer renews).
    for (let i = 0; i < 300 && ((await locks.read())?.leaseUntil ?? 0) >= Date.now(); i++) {
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
    // Every item transformed exactly once: the items of pages 1-4 by the killed run (its 4th
    // page had landed, not checkpointed), the rest by the resumed one, which skipped the 4th
    // page's as tagged.
    const logs = (await readdir(dir)).filter((name) => name.startsWith('transformed-'))
    expect(logs).toHaveLength(2)
    expect(logs).toContain(`transformed-${child.pid}`)
    const lines = async (name: string) => (await readFile(join(dir, name), 'utf8')).trim().split('\n')
    const byKilled = await lines(`transformed-${child.pid}`)
    expect(byKilled).toEqual(scanned.filter((key) => key.pk === 'Item').map((key) => key.sk))
    const byResumed = await lines(logs.find((name) => name !== `transformed-${child.pid}`) ?? '')
    expect(byKilled.length + byResumed.length).toBe(400)
    expect(new Set([...byKilled, ...byResumed]).size).toBe(400)
  }, 120_000)

  it('Ctrl-C during `migrate up`: stops after the page checkpoint, releases the lock, exits 130; the next run resumes', async () => {
    const table = await createTestTable(t.documentClient, 'migrate-sigint')
    await putNumberedItems(t.documentClient, table, 200)
    const dir = await mkdtemp(join(tmpdir(), 'chatdb-sigint-'))
    const paused = join(dir, 'paused')
    const go = join(dir, 'go')
    const module = join(dir, 'tag.mjs')
    // Tags every item and logs every key it scanned; on its 2nd page (writes landed, checkpoint
    // not yet saved) it says so and waits for the test, which signals the process meanwhile:
    // the moment is deterministic.
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
        appendFileSync(${JSON.stringify(join(dir, 'scanned-'))} + process.pid, JSON.stringify({ pk: item.pk, sk: item.sk }) + '\\n')
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

    const ledger = createDynamoLedger({ documentClient: t.documentClient, tableName: table })
    const locks = createDynamoLockStore({ documentClient: t.documentClient, tableName: table })
    expect(await locks.read()).toBeUndefined()
    const [stopped] = await ledger.executed()
    // Stopped right after the 2nd page's checkpoint: nothing of the 3rd page was read.
    expect(stopped).toMatchObject({ status: 'failed', itemsScanned: 100 })
    const scanned = await loggedKeys(join(dir, `scanned-${child.pid}`))
    expect(scanned).toHaveLength(100)
    expect(stopped?.checkpoints.items?.segments?.[0]?.lastKey).toEqual(scanned[99])
    const tagged = (await scanAll(t.documentClient, table)).filter((item) => item.tagged === true)
    expect(tagged.map((item) => item.sk)).toEqual(
      scanned
        .filter((key) => key.pk === 'Item')
        .map((key) => key.sk)
        .sort(),
    )

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
