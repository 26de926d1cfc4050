import { existsSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { beforeAll, describe, expect, it } from 'vitest'
import { MIGRATION_PARTITION } from '../../src/migrator/dynamoLedgerStore.js'
import { writeInBatches } from '../../src/repository/batchWrite.js'
import { CLI_MAIN, runCli } from '../support/cli.js'
import { createTestTable, useTestTable } from '../support/dynamo.js'
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
    await untilActive(t.documentClient, t.tableName)
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
    await untilActive(t.documentClient, table)
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
})

/** dynalite answers "not found" to a table still CREATING (a moment, longer under load). */
async function untilActive(documentClient: DynamoDBDocumentClient, tableName: string) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const { Table } = await documentClient.send(new DescribeTableCommand({ TableName: tableName }))
    if (Table?.TableStatus === 'ACTIVE') return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`table ${tableName} never became ACTIVE`)
}
