import { randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb'
import { afterAll, describe, expect, it } from 'vitest'
import { bundledDatasetPath, loadSeedDataset } from '../../../src/admin/seedDataset.js'
import { tableDiff } from '../../../src/admin/tableDiff.js'
import { createTableStore } from '../../../src/repository/tableStore.js'
import { tableDefinition } from '../../../src/table.js'
import { expectFailure, runCli } from '../../support/cli.js'
import { newDocumentClient } from '../../support/dynamo.js'

const dataset = loadSeedDataset(bundledDatasetPath())
const adaConnection = dataset.users.find((u) => u.userName === 'ada')?.connectionId as string
// Subprocesses are slow to start (~0.5 s each): this file runs the commands that change one table
// in order, checks state in-process where it can, and runs independent commands side by side.
describe('chatdb (built CLI against the test engine)', () => {
  const documentClient = newDocumentClient()
  const table = `cli-${randomUUID().slice(0, 8)}`
  const dir = mkdtempSync(join(tmpdir(), 'chatdb-cli-'))
  const cli = (...args: string[]) => runCli(args, { table })
  const json = async <T = Record<string, unknown>>(...args: string[]) => {
    const run = await cli(...args, '--json')
    expect(run.code, run.stderr).toBe(0)
    return run.json<T>()
  }
  /** Items by entity, read in-process. */
  async function entityCounts(tableName = table): Promise<Record<string, number>> {
    const counts: Record<string, number> = {}
    for await (const page of createTableStore({ documentClient, tableName }).rawPages()) {
      for (const item of page) counts[item._et?.S ?? '?'] = (counts[item._et?.S ?? '?'] ?? 0) + 1
    }
    return counts
  }

  afterAll(async () => {
    await documentClient.send(new DeleteTableCommand({ TableName: table })).catch(() => {})
    documentClient.destroy()
    rmSync(dir, { recursive: true, force: true })
  })

  it('create-table creates the table from tableDefinition, and a second run finds it matching', async () => {
    expect(await json('create-table')).toMatchObject({
      tableName: table,
      action: 'created',
      status: 'ACTIVE',
    })
    const { Table } = await documentClient.send(new DescribeTableCommand({ TableName: table }))
    expect(tableDiff(tableDefinition(table), Table ?? {})).toEqual([])
    const again = await cli('create-table')
    expect(again.code).toBe(0)
    expect(again.stdout).toContain(`table "${table}" exists and matches the definition`)
  })

  it('create-table --dry-run creates nothing; a table unlike the definition is reported, exit code 1', async () => {
    const other = `cli-other-${randomUUID().slice(0, 8)}`
    const dry = await runCli(['create-table', '--dry-run', '--json'], { table: other })
    expect(dry.json()).toMatchObject({ action: 'would-create', definition: tableDefinition(other) })
    const { GlobalSecondaryIndexes: _, AttributeDefinitions = [], ...rest } = tableDefinition(other)
    await documentClient.send(
      new CreateTableCommand({ ...rest, AttributeDefinitions: AttributeDefinitions.slice(0, 2) }),
    )
    const differs = await runCli(['create-table', '--json'], { table: other })
    expect(differs.code).toBe(1)
    expect(differs.json()).toMatchObject({
      action: 'exists',
      differences: ['attribute data type: expected S, found nothing', 'GSI byData: missing'],
    })
    await documentClient.send(new DeleteTableCommand({ TableName: other }))
  })

  it('seed writes the bundled dataset, and a second run adds no item', async () => {
    expect(await json('seed')).toEqual({
      rooms: 5,
      users: 8,
      subscriptions: { created: 22, existing: 0 },
      messages: 33,
      batchRequests: 2,
    })
    const counts = await entityCounts()
    expect(counts).toEqual({ Room: 5, RoomState: 5, Subscription: 22, Message: 33 })
    expect(await json('seed')).toMatchObject({ subscriptions: { created: 0, existing: 22 }, messages: 33 })
    expect(await entityCounts()).toEqual(counts)
  })

  it('inspect rooms | room | user | connection | table, as JSON and as a table', async () => {
    const [{ rooms, unreadable }, room, user, connection, report, human] = await Promise.all([
      json<{ rooms: { roomName: string; active: boolean; subscribers: number }[]; unreadable: unknown[] }>(
        'inspect',
        'rooms',
      ),
      json<{ users: string[]; messages: { message: string }[] }>(
        'inspect',
        'room',
        'general',
        '--limit',
        '2',
      ),
      json<{ rooms: { roomName: string; messages: unknown[] }[] }>('inspect', 'user', 'ada'),
      json<{ rooms: { roomName: string }[] }>('inspect', 'connection', adaConnection),
      json<Record<string, unknown>>('inspect', 'table'),
      cli('inspect', 'room', 'general', '--limit', '2'),
    ])
    expect(unreadable).toEqual([])
    expect(rooms.map((r) => r.roomName).sort()).toEqual(dataset.rooms.map((r) => r.roomName).sort())
    expect(rooms.find((r) => r.roomName === 'general')).toMatchObject({ active: true, subscribers: 8 })

    expect(room.users).toEqual(['ada', 'alan', 'barbara', 'grace', 'ken', 'linus', 'margaret', 'radia'])
    const general = dataset.messages.filter((m) => m.roomName === 'general').map((m) => m.message)
    expect(room.messages.map((m) => m.message)).toEqual(general.slice(-2))

    const adaRooms = ['dynamodb', 'general', 'release-planning']
    expect(user.rooms.map((g) => [g.roomName, g.messages.length])).toEqual(
      adaRooms.map((r) => [
        r,
        dataset.messages.filter((m) => m.userName === 'ada' && m.roomName === r).length,
      ]),
    )
    expect(connection.rooms.map((r) => r.roomName)).toEqual(adaRooms)
    expect(report).toMatchObject({
      status: 'ACTIVE',
      keySchema: 'pk HASH, sk RANGE',
      indexes: [{ name: 'byData', status: 'ACTIVE', keySchema: 'data HASH, sk RANGE', projection: 'ALL' }],
      timeToLive: { status: 'DISABLED' },
      entities: { Room: 5, RoomState: 5, Subscription: 22, Message: 33 },
      scannedItems: 65,
    })
    expect(human.stdout).toContain('room "general": active')
    expect(human.stdout).toContain(general.at(-1))
  })

  it('inspect of an unknown room, user or connection says so and exits 1', async () => {
    const [room, user, connection] = await Promise.all([
      cli('inspect', 'room', 'nowhere', '--json'),
      cli('inspect', 'user', 'nobody'),
      cli('inspect', 'connection', 'gone='),
    ])
    expectFailure(room, 'cli.notFound')
    expect(room.json()).toEqual({
      error: {
        code: 'cli.notFound',
        message: `no room "nowhere" in table "${table}"`,
        hint: expect.any(String),
      },
    })
    expectFailure(user, 'cli.notFound')
    expect(user.stderr).toContain('no messages from user "nobody"')
    expectFailure(connection, 'cli.notFound')
    expect(connection.stderr).toContain('no subscriptions of connection "gone="')
  })

  it('cleanup connection: dry run counts, refuses without --yes, removes with it; cleanup rooms finds all in order', async () => {
    const [dry, refused, rooms] = await Promise.all([
      json('cleanup', 'connection', adaConnection, '--dry-run'),
      cli('cleanup', 'connection', adaConnection),
      json('cleanup', 'rooms', '--dry-run'),
    ])
    expect(dry).toMatchObject({ connectionId: adaConnection, subscriptions: 3, dryRun: true })
    expectFailure(refused, 'cli.confirmationRequired')
    expect(rooms).toEqual({ rooms: 5, changes: [], countersRepaired: 0, dryRun: true, unreadable: [] })
    expect((await entityCounts()).Subscription).toBe(22)
    expect(await json('cleanup', 'connection', adaConnection, '--yes')).toMatchObject({
      subscriptions: 3,
      dryRun: false,
    })
    expect((await entityCounts()).Subscription).toBe(19)
    expect(await json('cleanup', 'rooms')).toEqual({
      rooms: 5,
      changes: [],
      countersRepaired: 0,
      dryRun: false,
      unreadable: [],
    })
  })

  it('seed --rooms --users --messages --seed generates a repeatable dataset; --dry-run only counts; --file reads one', async () => {
    const args = ['seed', '--rooms', '2', '--users', '3', '--messages', '40', '--seed', '9']
    const file = join(dir, 'small.json')
    writeFileSync(
      file,
      JSON.stringify({
        users: [{ userName: 'zoe', connectionId: 'Wm9lWm9lWm9l=' }],
        rooms: [{ roomName: 'tiny', subscribers: ['zoe'] }],
        messages: [
          { id: 't1', roomName: 'tiny', userName: 'zoe', time: '2026-02-01T10:00:00.000Z', message: 'hi' },
        ],
      }),
    )
    const [dry, fromFile] = await Promise.all([json(...args, '--dry-run'), json('seed', '--file', file)])
    expect(dry).toEqual({ dryRun: true, rooms: 2, users: 3, subscriptions: expect.any(Number), messages: 40 })
    expect(fromFile).toMatchObject({ rooms: 1, users: 1, messages: 1 })
    expect(await json(...args)).toMatchObject({ rooms: 2, users: 3, messages: 40, batchRequests: 2 })
    const counts = await entityCounts()
    expect(counts.Message).toBe(33 + 1 + 40)
    expect(await json(...args)).toMatchObject({ subscriptions: { created: 0 } })
    expect(await entityCounts()).toEqual(counts)
  })

  it('seed --file with a time a message key cannot hold (year 10000, before 1970) is refused, nothing written', async () => {
    const other = `cli-times-${randomUUID().slice(0, 8)}`
    await documentClient.send(new CreateTableCommand(tableDefinition(other)))
    try {
      const message = { id: 'ok', roomName: 'tiny', userName: 'zoe', time: 1_000, message: 'hi' }
      for (const [name, time] of [
        ['far', Date.UTC(10000, 0, 1)],
        ['early', '1969-12-31T00:00:00.000Z'],
      ] as const) {
        const file = join(dir, `${name}.json`)
        writeFileSync(
          file,
          JSON.stringify({
            users: [{ userName: 'zoe', connectionId: 'Wm9lWm9lWm9l=' }],
            rooms: [{ roomName: 'tiny', subscribers: ['zoe'] }],
            messages: [message, { ...message, id: 'bad', time }],
          }),
        )
        const run = await runCli(['seed', '--file', file], { table: other })
        expectFailure(run, 'validation.option')
        expect(run.stderr).toContain('messages.1.time')
      }
      // Refused by the check: not even the subscriptions (written before the messages) are there.
      expect(await entityCounts(other)).toEqual({})
    } finally {
      await documentClient.send(new DeleteTableCommand({ TableName: other })).catch(() => {})
    }
  })

  it('seed is not bound by the protocol caps: one user in 120 rooms', async () => {
    const other = `cli-caps-${randomUUID().slice(0, 8)}`
    await documentClient.send(new CreateTableCommand(tableDefinition(other)))
    try {
      const run = await runCli(
        ['seed', '--rooms', '120', '--users', '1', '--messages', '5', '--seed', '1', '--json'],
        {
          table: other,
        },
      )
      expect(run.code, run.stderr).toBe(0)
      expect(run.json()).toMatchObject({ rooms: 120, users: 1, subscriptions: { created: 120 } })
    } finally {
      await documentClient.send(new DeleteTableCommand({ TableName: other })).catch(() => {})
    }
  })

  it('export → delete-table → create-table → import gives back identical items', async () => {
    const before = join(dir, 'before.jsonl')
    const after = join(dir, 'after.jsonl')
    const [exported, toStdout] = await Promise.all([
      json<{ items: number }>('export', '--out', before),
      cli('export'),
    ])
    const lines = readFileSync(before, 'utf8').trim().split('\n')
    expect(exported.items).toBe(lines.length)
    expect(lines.length).toBe(Object.values(await entityCounts()).reduce((a, b) => a + b, 0))
    expect(toStdout.stdout.trim().split('\n').sort()).toEqual([...lines].sort())

    const [refused, dry, dryText] = await Promise.all([
      cli('delete-table'),
      json('delete-table', '--dry-run'),
      cli('delete-table', '--dry-run'),
    ])
    expectFailure(refused, 'cli.confirmationRequired')
    // A small table's items are counted, whatever DescribeTable's ItemCount says (0 on dynalite and
    // on a fresh AWS table, current on DynamoDB Local).
    expect(dry).toMatchObject({ action: 'would-delete', items: { count: lines.length, kind: 'exact' } })
    expect(dryText.stdout).toContain(`would delete table "${table}" (${lines.length} items)`)
    expect(
      (await documentClient.send(new DescribeTableCommand({ TableName: table }))).Table?.TableStatus,
    ).toBe('ACTIVE')
    expect(await json('delete-table', '--yes')).toMatchObject({
      action: 'deleted',
      items: { count: lines.length, kind: 'exact' },
    })
    await expect(documentClient.send(new DescribeTableCommand({ TableName: table }))).rejects.toThrow()

    await json('create-table')
    expect(await json('import', before)).toMatchObject({ items: lines.length, dryRun: false })
    await json('export', '--out', after)
    expect(readFileSync(after, 'utf8').trim().split('\n').sort()).toEqual([...lines].sort())
  })

  it('import rejects a missing or malformed file without writing', async () => {
    const bad = join(dir, 'bad.jsonl')
    writeFileSync(bad, '{"Item":{"pk":{"S":"x"},"sk":{"S":"y"}}}\nnot json\n')
    const before = await entityCounts()
    const [missing, malformed] = await Promise.all([
      cli('import', join(dir, 'nope.jsonl')),
      cli('import', bad),
    ])
    expectFailure(missing, 'cli.input')
    expectFailure(malformed, 'validation.option')
    expect(malformed.stderr).toContain('line 2: not valid JSON')
    expect(await entityCounts()).toEqual(before)
  })

  it('cleanup messages --older-than: dry run counts, refuses without --yes, deletes with it', async () => {
    const total = (await entityCounts()).Message
    // Every seeded message is from early 2026, more than a day before any test run.
    const [dry, refused] = await Promise.all([
      json('cleanup', 'messages', '--older-than', '1d', '--dry-run'),
      cli('cleanup', 'messages', '--older-than', '1d'),
    ])
    expect(dry).toMatchObject({ messages: total, dryRun: true })
    expectFailure(refused, 'cli.confirmationRequired')
    expect((await entityCounts()).Message).toBe(total)
    expect(await json('cleanup', 'messages', '--older-than', '1d', '--yes')).toMatchObject({
      messages: total,
    })
    expect((await entityCounts()).Message).toBeUndefined()
  })
})
