import { once } from 'node:events'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundledDatasetPath, loadSeedDataset } from '../../../src/admin/seedDataset.js'
import { seedTable } from '../../../src/admin/seedTable.js'
import { createChatRepository } from '../../../src/repository/chatRepository.js'
import { createTableStore } from '../../../src/repository/tableStore.js'
import { expectFailure, runCli, STACK_FRAME, startCli } from '../../support/cli.js'
import { createTestTable, newDocumentClient } from '../../support/dynamo.js'
import { type ProxyAction, type ProxyRule, startDynamoProxy } from '../../support/dynamoProxy.js'

// Scan pages of 5 items, so that an export takes many requests and can be cut half-way;
// `then(index, paged)` may do otherwise with the Scan of that index.
const smallPages =
  (
    then: (index: number, paged: ProxyAction) => ReturnType<ProxyRule> | undefined = () => undefined,
  ): ProxyRule =>
  (operation, body, index) => {
    if (operation !== 'Scan') return { forward: body }
    const paged = { forward: { ...body, Limit: 5 } }
    return then(index, paged) ?? paged
  }

describe('chatdb export / import (built CLI against the test engine)', () => {
  const documentClient = newDocumentClient()
  const dir = mkdtempSync(join(tmpdir(), 'chatdb-backup-'))
  const tables: string[] = []
  let table: string
  let items: number

  beforeAll(async () => {
    table = await createTestTable(documentClient, 'backup')
    tables.push(table)
    const repository = createChatRepository({ documentClient, tableName: table })
    await seedTable(
      repository,
      createTableStore({ documentClient, tableName: table }),
      loadSeedDataset(bundledDatasetPath()),
    )
    items = 0
    for await (const page of createTableStore({ documentClient, tableName: table }).rawPages())
      items += page.length
  })

  afterAll(async () => {
    for (const name of tables)
      await documentClient.send(new DeleteTableCommand({ TableName: name })).catch(() => {})
    documentClient.destroy()
    rmSync(dir, { recursive: true, force: true })
  })

  const previousBackup = '{"Item":{"pk":{"S":"previous"},"sk":{"S":"backup"}}}\n'
  const leftovers = (name: string) => readdirSync(dir).filter((f) => f !== name && f.includes(name))

  it('export --out keeps the previous file when the export dies half-way, and leaves no temporary file', async () => {
    const out = join(dir, 'failed.jsonl')
    writeFileSync(out, previousBackup)
    const proxy = await startDynamoProxy(smallPages((index) => (index >= 2 ? 'reset' : undefined)))
    try {
      const run = await runCli(['export', '--out', out], {
        table,
        env: { AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint },
      })
      expectFailure(run, 'aws.unreachable')
      expect(proxy.counts().Scan).toBeGreaterThan(2)
    } finally {
      await proxy.close()
    }
    expect(readFileSync(out, 'utf8')).toBe(previousBackup)
    expect(leftovers('failed.jsonl')).toEqual([])
  })

  it('export --out keeps the previous file when interrupted (SIGINT), and removes the temporary file', async () => {
    const out = join(dir, 'interrupted.jsonl')
    writeFileSync(out, previousBackup)
    let hold: () => void = () => {}
    const held = new Promise<void>((reached) => {
      hold = reached
    })
    let afterRelease: () => void = () => {}
    const release = new Promise<void>((resolve) => {
      afterRelease = resolve
    })
    const proxy = await startDynamoProxy(
      smallPages((index) => {
        if (index !== 2) return undefined
        hold()
        return release.then(() => 'reset' as const)
      }),
    )
    try {
      const cli = startCli(['export', '--out', out], {
        table,
        env: { AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint },
      })
      cli.ready.catch(() => {})
      await held
      // Two pages are in the temporary file by now.
      expect(leftovers('interrupted.jsonl')).toHaveLength(1)
      const stopped = await cli.stop('SIGINT')
      expect(stopped.code).toBe(130)
      expect(stopped.stderr).not.toMatch(STACK_FRAME)
    } finally {
      afterRelease()
      await proxy.close()
    }
    expect(readFileSync(out, 'utf8')).toBe(previousBackup)
    expect(leftovers('interrupted.jsonl')).toEqual([])
  })

  it('export --out replaces the file only once the export is complete; no progress noise without a terminal', async () => {
    const out = join(dir, 'complete.jsonl')
    writeFileSync(out, previousBackup)
    const run = await runCli(['export', '--out', out], { table })
    expect(run.code, run.stderr).toBe(0)
    expect(run.stderr).toBe('')
    expect(run.stdout).toBe(`exported ${items} items from "${table}" to ${out}\n`)
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(items)
    expect(leftovers('complete.jsonl')).toEqual([])
  })

  it('export | head -1 ends quietly: stops scanning once stdout is closed, exit code 0, no stack trace', async () => {
    let release: () => void = () => {}
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    const proxy = await startDynamoProxy(
      smallPages((index, paged) => (index === 1 ? released.then(() => paged) : undefined)),
    )
    try {
      const cli = startCli(['export'], { table, env: { AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint } })
      cli.ready.catch(() => {})
      const { stdout, stderr } = cli.child
      if (!stdout || !stderr) throw new Error('no stdio')
      let errors = ''
      stderr.on('data', (chunk) => {
        errors += chunk
      })
      stdout.removeAllListeners('data')
      const [first] = (await once(stdout, 'data')) as [Buffer]
      expect(JSON.parse(first.toString().split('\n')[0] ?? '')).toHaveProperty('Item')
      // What `head -1` does: close the pipe, then the export writes its next page into it.
      stdout.destroy()
      release()
      const [code] = (await once(cli.child, 'exit')) as [number]
      expect(code, errors).toBe(0)
      expect(errors).not.toMatch(STACK_FRAME)
      expect(errors).not.toMatch(/EPIPE/)
      expect(proxy.counts().Scan).toBeLessThan(Math.ceil(items / 5))
    } finally {
      await proxy.close()
    }
  })

  it('import refuses a file DynamoDB would refuse part-way, naming the line, before writing anything', async () => {
    const target = await createTestTable(documentClient, 'import')
    tables.push(target)
    const line = (i: number, n = String(i)) =>
      `{"Item":{"pk":{"S":"Item"},"sk":{"S":"${i}"},"n":{"N":"${n}"}}}`
    const file = join(dir, 'refused.jsonl')
    writeFileSync(
      file,
      Array.from({ length: 201 }, (_, i) => line(i + 1, i === 180 ? 'abc' : undefined)).join('\n'),
    )
    const run = await runCli(['import', file], { table: target })
    expectFailure(run, 'validation.option')
    expect(run.stderr).toMatch(/^validation\.option: line 181: n: not a number: "abc"$/m)
    const pages: number[] = []
    for await (const page of createTableStore({ documentClient, tableName: target }).rawPages())
      pages.push(page.length)
    expect(pages).toEqual([0])
  })

  it('import --create-table restores into a table that does not exist yet; without it nothing is created', async () => {
    const backup = join(dir, 'restore.jsonl')
    expect((await runCli(['export', '--out', backup], { table })).code).toBe(0)
    const target = `backup-new-${Date.now()}`
    tables.push(target)
    const [refused, dry] = await Promise.all([
      runCli(['import', backup], { table: target }),
      runCli(['import', backup, '--create-table', '--dry-run', '--json'], { table: target }),
    ])
    expectFailure(refused, 'store.tableNotFound')
    expect(dry.json()).toMatchObject({ items, dryRun: true })
    const run = await runCli(['import', backup, '--create-table'], { table: target })
    expect(run.code, run.stderr).toBe(0)
    expect(run.stderr).toBe('')
    expect(run.stdout).toBe(`imported ${items} items from ${backup} into "${target}"\n`)
    const again = join(dir, 'again.jsonl')
    expect((await runCli(['export', '--out', again], { table: target })).code).toBe(0)
    expect(readFileSync(again, 'utf8').split('\n').sort()).toEqual(
      readFileSync(backup, 'utf8').split('\n').sort(),
    )
    expect(existsSync(again)).toBe(true)
  })

  it('after importing a room whose name holds "|": inspect rooms and cleanup rooms report and count it, list the others, and say how to fix it', async () => {
    const source = await createTestTable(documentClient, 'badname')
    tables.push(source)
    const repository = createChatRepository({ documentClient, tableName: source })
    for (const roomName of ['good', 'badxroom'])
      await repository.subscribe({ roomName, connectionId: 'AAAAAAAAAAAAAAA=', userName: 'ada' })
    const exported = join(dir, 'badname.jsonl')
    expect((await runCli(['export', '--out', exported], { table: source })).code).toBe(0)
    const edited = join(dir, 'badname-edited.jsonl')
    writeFileSync(edited, readFileSync(exported, 'utf8').replaceAll('badxroom', 'bad|room'))
    const target = `backup-badname-${Date.now()}`
    tables.push(target)
    expect((await runCli(['import', edited, '--create-table'], { table: target })).code).toBe(0)

    const inspect = await runCli(['inspect', 'rooms'], { table: target })
    expect(inspect.code, inspect.stderr).toBe(0)
    expect(inspect.stdout).toMatch(/good/)
    expect(inspect.stdout).toMatch(
      /^unreadable room "bad\|room": roomName must not contain "\|" \(the key delimiter\) \(validation\.roomName\)$/m,
    )
    expect(inspect.stdout).toMatch(
      /^1 room\(s\) could not be read; chatdb cleanup rooms says how to fix them$/m,
    )
    const json = await runCli(['inspect', 'rooms', '--json'], { table: target })
    expect(json.json()).toMatchObject({
      rooms: [{ roomName: 'good', subscribers: 1 }],
      unreadable: [{ roomName: 'bad|room', code: 'validation.roomName' }],
    })

    const cleanup = await runCli(['cleanup', 'rooms', '--dry-run'], { table: target })
    expect(cleanup.code, cleanup.stderr).toBe(0)
    expect(cleanup.stdout).toMatch(/^2 rooms checked, 0 would change$/m)
    expect(cleanup.stdout).toMatch(/^unreadable room "bad\|room": /m)
    expect(cleanup.stdout).toMatch(
      /^1 room\(s\) could not be read; chatdb cannot settle or remove .*chatdb export --out .*chatdb import .* --create-table\)$/m,
    )
    const cleanupJson = await runCli(['cleanup', 'rooms', '--dry-run', '--json'], { table: target })
    expect(cleanupJson.json()).toMatchObject({
      rooms: 2,
      changes: [],
      unreadable: [{ roomName: 'bad|room', code: 'validation.roomName' }],
    })
  })
})
