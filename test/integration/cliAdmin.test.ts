import { PutItemCommand, type TableDescription } from '@aws-sdk/client-dynamodb'
import { DeleteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { PutItemCommand as PutItemCommandOfToolbox } from 'dynamodb-toolbox/entity/actions/put'
import { beforeEach, describe, expect, it } from 'vitest'
import { cleanupStale, pruneMessages, reconcileRooms } from '../../src/admin/cleanup.js'
import { type ConnectionProbe, createConnectionProbe } from '../../src/admin/connectionProbe.js'
import { countItems } from '../../src/admin/countItems.js'
import type { RawItem } from '../../src/admin/dynamoJson.js'
import { exportTable } from '../../src/admin/exportTable.js'
import { importTable } from '../../src/admin/importTable.js'
import { inspectConnection, inspectRoom, inspectRooms, inspectUser } from '../../src/admin/inspect.js'
import { bundledDatasetPath, loadSeedDataset } from '../../src/admin/seedDataset.js'
import { seedHistory } from '../../src/admin/seedHistory.js'
import { hasChatData, seedTable } from '../../src/admin/seedTable.js'
import { createChatTable, deleteChatTable, findTable } from '../../src/admin/tableAdmin.js'
import { isChatDbError } from '../../src/errors.js'
import { roomKey, subscriptionKey } from '../../src/keys.js'
import { createTestTable, type TestTable, useTestTable } from '../support/dynamo.js'
import { injectUnprocessedItems } from '../support/faults.js'

const dataset = loadSeedDataset(bundledDatasetPath())
const connectionOf = (userName: string) =>
  dataset.users.find((u) => u.userName === userName)?.connectionId as string

async function scanAll(t: TestTable, tableName: string) {
  const items: RawItem[] = []
  for await (const page of t.store(tableName).rawPages()) items.push(...page)
  return items.map((item) => JSON.stringify(Object.fromEntries(Object.entries(item).sort()))).sort()
}

async function scanItems(t: TestTable, tableName: string) {
  const items: RawItem[] = []
  for await (const page of t.store(tableName).rawPages()) items.push(...page)
  return items
}

/** Replaces `from` by `to` in every serialized request body (after signing's input is built). */
function renameOnTheWire(documentClient: DynamoDBDocumentClient, from: string, to: string) {
  documentClient.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers: Record<string, string>; body?: unknown }
      const text =
        typeof request.body === 'string'
          ? request.body
          : request.body instanceof Uint8Array
            ? Buffer.from(request.body).toString('utf8')
            : undefined
      if (text?.includes(from)) {
        request.body = text.replaceAll(from, to)
        request.headers['content-length'] = String(Buffer.byteLength(request.body as string))
      }
      return next(args)
    },
    { step: 'build', priority: 'low', name: 'renameOnTheWire', override: true },
  )
}

describe('src/admin', () => {
  const t = useTestTable()

  // Each test seeds a fresh table of its own: the file's table stays empty for the table-level tests.
  async function seededTable() {
    const tableName = await createTestTable(t.documentClient, 'admin')
    const repository = t.repository({ tableName })
    const store = t.store(tableName)
    await seedTable(repository, store, dataset, { batchWrite: { baseDelayMs: 1 } })
    t.counter.reset()
    return { tableName, repository, store }
  }

  beforeEach(() => t.counter.reset())

  describe('seedHistory', () => {
    it('writes only the missing messages, no subscriptions, and never rewrites a message that is there', async () => {
      const tableName = await createTestTable(t.documentClient, 'history')
      const store = t.store(tableName)
      // Stopped after its first batch: 25 of 33 written.
      const stop = new Error('stop')
      await expect(
        seedHistory(store, dataset, {
          beforeBatch: ({ written }) => {
            if (written > 0) throw stop
          },
        }),
      ).rejects.toBe(stop)
      const messageKeys = (items: string[]) => items.filter((i) => i.includes('"_et":{"S":"Message"}'))
      expect(messageKeys(await scanAll(t, tableName))).toHaveLength(25)
      // A message changed since (as a migration would): it must stay as it is.
      const first = dataset.messages[0] as (typeof dataset.messages)[number]
      const changed = { ...first, connectionId: 'changed=', expiresAt: 1 }
      await store.entities.Message.build(PutItemCommandOfToolbox).item(changed).send()
      t.counter.reset()

      expect(await seedHistory(store, dataset)).toEqual({
        messages: 33,
        written: 8,
        present: 25,
      })
      // One BatchGetItem for the 33 keys, one BatchWriteItem for the 8 missing.
      expect(t.counter.counts()).toMatchObject({ BatchGetItem: 1, BatchWriteItem: 1 })
      const items = await scanAll(t, tableName)
      expect(messageKeys(items)).toHaveLength(33)
      expect(items.filter((i) => i.includes('"connectionId":{"S":"changed="}'))).toHaveLength(1)
      // The history only: no room, no subscription.
      expect(items).toHaveLength(33)
      expect(await seedHistory(store, dataset)).toMatchObject({
        written: 0,
        present: 33,
      })
    })
  })

  describe('seedTable', () => {
    it('writes the bundled dataset with 25-item BatchWriteItems and nothing new the second time', async () => {
      const repository = t.repository()
      expect(await hasChatData(t.store())).toBe(false)
      const first = await seedTable(repository, t.store(), dataset)
      expect(first).toEqual({
        rooms: 5,
        users: 8,
        subscriptions: { created: 22, existing: 0 },
        messages: 33,
        batchRequests: 2,
      })
      expect(t.counter.counts().BatchWriteItem).toBe(2)
      const items = await scanAll(t, t.tableName)
      t.counter.reset()

      const second = await seedTable(repository, t.store(), dataset)
      expect(second.subscriptions).toEqual({ created: 0, existing: 22 })
      // No room transition: the only writes are the subscription puts (refused, they exist) and
      // the same two message batches again.
      const { PutItem, BatchWriteItem, DeleteItem, UpdateItem } = t.counter.counts()
      expect({ PutItem, BatchWriteItem, DeleteItem, UpdateItem }).toEqual({
        PutItem: 22,
        BatchWriteItem: 2,
        DeleteItem: undefined,
        UpdateItem: undefined,
      })
      expect(await scanAll(t, t.tableName)).toEqual(items)
      expect(items.filter((i) => i.includes('"_et":{"S":"Message"}'))).toHaveLength(33)
      expect(await hasChatData(t.store())).toBe(true)
    })

    it('retries the messages DynamoDB leaves unprocessed', async () => {
      const tableName = await createTestTable(t.documentClient, 'admin')
      const faults = injectUnprocessedItems(t.documentClient, (n, call) => (call === 0 ? n - 1 : 0))
      const result = await seedTable(t.repository({ tableName }), t.store(tableName), dataset, {
        batchWrite: { baseDelayMs: 1 },
      })
      expect(faults.injected()).toBe(24)
      expect(result.batchRequests).toBe(3)
      expect(
        (await inspectRoom(t.repository({ tableName }), 'general', { limit: 100 }))?.messages,
      ).toHaveLength(12)
    })
  })

  describe('inspect', () => {
    it('lists rooms with subscriber counts, shows a room, a user and a connection', async () => {
      const { repository, store } = await seededTable()
      const rooms = await inspectRooms(repository, store)
      // Rooms come in creation order; seeding creates them in parallel, so compare as sets.
      const byName = (a: { roomName: string }, b: { roomName: string }) =>
        a.roomName.localeCompare(b.roomName)
      expect(rooms.sort(byName).map((r) => [r.roomName, r.active, r.subscribers])).toEqual(
        [...dataset.rooms].sort(byName).map((r) => [r.roomName, true, r.subscribers.length]),
      )
      t.counter.reset()
      const general = await inspectRoom(repository, 'general', { limit: 3 })
      expect(t.counter.counts()).toEqual({ Query: 2 })
      expect(general?.users).toEqual([...(dataset.rooms[0]?.subscribers ?? [])].sort())
      expect(general?.messages.map((m) => m.message)).toEqual(
        dataset.messages
          .filter((m) => m.roomName === 'general')
          .slice(-3)
          .map((m) => m.message),
      )
      const ada = await inspectUser(repository, 'ada')
      expect(ada?.map((g) => g.roomName)).toEqual(['dynamodb', 'general', 'release-planning'])
      expect(await inspectConnection(repository, connectionOf('ada'))).toHaveLength(3)
      expect(await inspectRoom(repository, 'nowhere')).toBeUndefined()
      expect(await inspectUser(repository, 'nobody')).toBeUndefined()
      expect(await inspectConnection(repository, 'gone=')).toBeUndefined()
    })
  })

  describe('reconcileRooms', () => {
    it('unlists a room whose subscriptions vanished and rewrites a lost room record; dry run writes nothing', async () => {
      const { tableName, repository, store } = await seededTable()
      // 'websockets' loses its subscriptions behind the repository's back; 'random' its Room record.
      for (const userName of dataset.rooms.find((r) => r.roomName === 'websockets')?.subscribers ?? []) {
        const Key = subscriptionKey('websockets', connectionOf(userName))
        await t.documentClient.send(new DeleteCommand({ TableName: tableName, Key }))
      }
      const random = (await repository.roomSnapshot('random')).state
      if (!random) throw new Error('random has no state')
      await t.documentClient.send(
        new DeleteCommand({
          TableName: tableName,
          Key: roomKey({ roomName: 'random', active: true, createdAt: random.createdAt }),
        }),
      )
      t.counter.reset()

      const preview = await reconcileRooms(repository, store, { dryRun: true })
      expect(t.counter.writes()).toBe(0)
      const expected = [
        { roomName: 'random', action: 'repaired' },
        { roomName: 'websockets', action: 'emptied' },
      ]
      expect(preview).toEqual({ rooms: 5, changes: expected, dryRun: true })

      expect(await reconcileRooms(repository, store)).toEqual({
        rooms: 5,
        changes: expected,
        dryRun: false,
      })
      expect((await repository.activeRooms()).map((r) => r.roomName).sort()).toEqual([
        'dynamodb',
        'general',
        'random',
        'release-planning',
      ])
      expect((await reconcileRooms(repository, store)).changes).toEqual([])
    })
  })

  describe('pruneMessages', () => {
    it('deletes messages older than the cutoff, counted per room; a dry run only counts', async () => {
      const { repository, store } = await seededTable()
      const now = Date.parse('2026-01-12T09:30:00.000Z')
      const olderThanMs = 20 * 60_000
      const old = dataset.messages.filter((m) => m.time < now - olderThanMs)
      expect(old.length).toBeGreaterThan(0)
      expect(old.length).toBeLessThan(dataset.messages.length)

      const preview = await pruneMessages(store, { olderThanMs, now, dryRun: true })
      expect(preview).toMatchObject({
        messages: old.length,
        cutoff: '2026-01-12T09:10:00.000Z',
        dryRun: true,
      })
      expect(t.counter.writes()).toBe(0)

      const result = await pruneMessages(store, { olderThanMs, now })
      expect(result.messages).toBe(old.length)
      expect(t.counter.counts().BatchWriteItem).toBe(Math.ceil(old.length / 25))
      const left = await inspectRoom(repository, 'general', { limit: 100 })
      expect(left?.messages.every((m) => m.time >= now - olderThanMs)).toBe(true)
    })
  })

  describe('cleanupStale', () => {
    it('removes the subscriptions of gone connections only, and keeps those that failed to answer', async () => {
      const { repository, store } = await seededTable()
      const probed: string[] = []
      const probe: ConnectionProbe = async (connectionId) => {
        probed.push(connectionId)
        if (connectionId === connectionOf('ada')) return { status: 'gone' }
        if (connectionId === connectionOf('grace')) return { status: 'error', error: 'Forbidden' }
        return { status: 'connected' }
      }
      const preview = await cleanupStale(repository, store, probe, { dryRun: true })
      expect(preview).toMatchObject({
        probed: 8,
        stale: [connectionOf('ada')],
        subscriptions: 3,
        dryRun: true,
      })
      expect(await repository.roomsOfConnection(connectionOf('ada'))).toHaveLength(3)

      const result = await cleanupStale(repository, store, probe)
      expect(result.errors).toEqual([{ connectionId: connectionOf('grace'), error: 'Forbidden' }])
      expect(result.subscriptions).toBe(3)
      expect(await repository.roomsOfConnection(connectionOf('ada'))).toEqual([])
      expect(await repository.roomsOfConnection(connectionOf('grace'))).toHaveLength(3)
      expect(new Set(probed).size).toBe(8)
    })

    it('stops probing and removes nothing when the management API cannot be reached', async () => {
      const { repository, store } = await seededTable()
      const { probe, close } = createConnectionProbe({
        endpoint: 'http://127.0.0.1:1',
        region: 'local',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      })
      let probes = 0
      const counted: ConnectionProbe = (connectionId) => {
        probes++
        return probe(connectionId)
      }
      try {
        const failed = await cleanupStale(repository, store, counted, { concurrency: 2 }).catch(
          (error: unknown) => error,
        )
        expect(isChatDbError(failed, 'connections.unreachable')).toBe(true)
        // The two probes in flight settle, no third starts (8 connections are subscribed).
        expect(probes).toBe(2)
        // One Scan for the connection ids, then no write at all.
        expect(t.counter.counts()).toEqual({ Scan: 1 })
        expect(await repository.roomsOfConnection(connectionOf('ada'))).toHaveLength(3)
      } finally {
        close()
      }
    })
  })

  describe('exportTable / importTable', () => {
    it('round-trips every attribute type exactly, retrying unprocessed items', async () => {
      const source = await createTestTable(t.documentClient, 'export')
      const odd: RawItem = {
        pk: { S: 'Odd' },
        sk: { S: 'all types' },
        n: { N: '1.10' },
        big: { N: '123456789012345678901234567890' },
        b: { B: new Uint8Array([0, 255]) },
        ss: { SS: ['a', 'b'] },
        ns: { NS: ['1', '2.5'] },
        bs: { BS: [new Uint8Array([1])] },
        m: { M: { l: { L: [{ NULL: true }, { BOOL: true }, { S: '' }] } } },
      }
      await t.documentClient.send(new PutItemCommand({ TableName: source, Item: odd }))
      await seedTable(t.repository({ tableName: source }), t.store(source), dataset)
      const lines: string[] = []
      const exported = await exportTable(t.store(source), (line) => {
        lines.push(line)
      })
      expect(exported.items).toBe(lines.length)

      const target = await createTestTable(t.documentClient, 'import')
      const faults = injectUnprocessedItems(t.documentClient, (_n, call) => (call === 1 ? 5 : 0))
      const imported = await importTable(t.store(target), lines, { batchWrite: { baseDelayMs: 1 } })
      expect(faults.injected()).toBe(5)
      expect(imported).toMatchObject({ items: lines.length, requests: Math.ceil(lines.length / 25) + 1 })
      expect(await scanAll(t, target)).toEqual(await scanAll(t, source))
    })

    it('writes nothing when any line is malformed', async () => {
      const target = await createTestTable(t.documentClient, 'import')
      const good = (sk: string) => `{"Item":{"pk":{"S":"a"},"sk":{"S":"${sk}"}}}`
      await expect(importTable(t.store(target), [good('b'), good('c'), '{"Item":{}}'])).rejects.toThrow(
        /line 3/,
      )
      expect(t.counter.writes()).toBe(0)
      expect(await scanAll(t, target)).toEqual([])
    })

    // The case: 201 well-shaped lines, one DynamoDB refuses; the old import wrote the
    // batches before it (75 items) and then failed with "internal: ValidationException".
    it('checks every line as DynamoDB would before the first write, and names the refused one', async () => {
      const target = await createTestTable(t.documentClient, 'import')
      t.counter.reset()
      const line = (i: number, extra = '') =>
        `{"Item":{"pk":{"S":"Item"},"sk":{"S":"${String(i).padStart(3, '0')}"},"n":{"N":"${i}"}${extra}}}`
      const file = (bad: string) => Array.from({ length: 201 }, (_, i) => (i === 150 ? bad : line(i + 1)))
      const refused = [
        line(151, ',"x":{"N":"abc"}'),
        line(151, ',"x":{"SS":[]}'),
        line(151, ',"x":{"SS":["a","a"]}'),
        line(151, ',"x":{"B":"@@@@"}'),
        line(151, ',"x":{"N":"1E999"}'),
        line(151, `,"x":{"S":"${'x'.repeat(410_000)}"}`),
        line(151, ',"data":{"S":""}'),
        '{"Item":{"pk":{"S":""},"sk":{"S":"151"}}}',
        '{"Item":{"pk":{"S":"Item"},"sk":{"N":"151"}}}',
        // the same key as line 149: in the same 25-item batch, which DynamoDB refuses
        line(149),
      ]
      for (const bad of refused) {
        const error = await importTable(t.store(target), file(bad)).catch((e: unknown) => e)
        expect(error, bad.slice(0, 80)).toMatchObject({ code: 'validation.option' })
        expect((error as Error).message, bad.slice(0, 80)).toMatch(/^line 151: /)
      }
      expect(t.counter.writes()).toBe(0)
      expect(t.counter.counts()).toEqual({ DescribeTable: refused.length })
      expect(await scanAll(t, target)).toEqual([])
      // a key repeated far apart (two batches: which put wins would be a race) is refused too
      await expect(importTable(t.store(target), file(line(1)))).rejects.toThrow(
        'line 151: same primary key as line 1',
      )
      expect(t.counter.writes()).toBe(0)
    })

    it('keeps an attribute named __proto__, at the top and inside a map', async () => {
      const target = await createTestTable(t.documentClient, 'import')
      // dynalite rebuilds every map from a plain object, which loses a "__proto__" key (DynamoDB
      // does not): the name is renamed on the wire so that dynalite can store what was sent.
      renameOnTheWire(t.documentClient, '"__proto__"', '"proto-on-the-wire"')
      const line =
        '{"Item":{"pk":{"S":"P"},"sk":{"S":"1"},"__proto__":{"S":"top"},"m":{"M":{"__proto__":{"N":"7"}}}}}'
      await importTable(t.store(target), [line]).finally(() =>
        t.documentClient.middlewareStack.remove('renameOnTheWire'),
      )
      const [item] = await scanItems(t, target)
      expect(item?.['proto-on-the-wire']).toEqual({ S: 'top' })
      expect(item?.m?.M?.['proto-on-the-wire']).toEqual({ N: '7' })
    })

    it('names the lines of a batch that fails at write time and how many items were written', async () => {
      const target = await createTestTable(t.documentClient, 'import')
      const lines = Array.from({ length: 60 }, (_, i) => `{"Item":{"pk":{"S":"I"},"sk":{"S":"${i}"}}}`)
      // The first batch lands; the second stays unprocessed on every attempt.
      injectUnprocessedItems(t.documentClient, (n, call) => (call === 0 ? 0 : n))
      const progress: number[] = []
      const error = await importTable(t.store(target), ['', ...lines], {
        batchWrite: { concurrency: 1, maxAttempts: 2, baseDelayMs: 1 },
        onProgress: (written, total) => progress.push(written, total),
      })
        .catch((e: unknown) => e)
        .finally(() => t.documentClient.middlewareStack.remove('injectUnprocessedItems'))
      expect(error).toMatchObject({ code: 'store.importIncomplete' })
      expect((error as Error).message).toMatch(
        /^writing lines 27-51 failed \(ChatDbError.*\); 25 of 60 items were written$/,
      )
      expect(progress).toEqual([25, 60, 25, 60, 25, 60])
      expect(await scanAll(t, target)).toHaveLength(25)
    })

    it('reports progress: items written of the total on import, items read on export', async () => {
      const target = await createTestTable(t.documentClient, 'import')
      const lines = Array.from({ length: 60 }, (_, i) => `{"Item":{"pk":{"S":"I"},"sk":{"S":"${i}"}}}`)
      const imported: [number, number][] = []
      await importTable(t.store(target), lines, {
        batchWrite: { concurrency: 1 },
        onProgress: (written, total) => imported.push([written, total]),
      })
      expect(imported).toEqual([
        [25, 60],
        [50, 60],
        [60, 60],
      ])
      const exported: number[] = []
      const result = await exportTable(t.store(target), () => {}, {
        onProgress: (items) => exported.push(items),
      })
      expect(result.items).toBe(60)
      expect(exported.at(-1)).toBe(60)
      expect(exported).toEqual([...exported].sort((a, b) => a - b))
    })

    it('refuses to import into a missing table before reading the file; a dry run checks against the definition', async () => {
      const missing = `import-missing-${Date.now()}`
      const good = '{"Item":{"pk":{"S":"a"},"sk":{"S":"b"}}}'
      await expect(importTable(t.store(missing), [good])).rejects.toMatchObject({
        code: 'store.tableNotFound',
      })
      expect(await importTable(t.store(missing), [good], { dryRun: true })).toMatchObject({
        items: 1,
        dryRun: true,
      })
      await expect(
        importTable(t.store(missing), ['{"Item":{"pk":{"S":"a"},"sk":{"N":"1"}}}'], {
          dryRun: true,
        }),
      ).rejects.toThrow('line 1: key sk must be of type S, not N')
      expect(t.counter.writes()).toBe(0)
    })
  })

  describe('countItems', () => {
    it('counts a table whose estimate is 0 with a COUNT Scan, bounded in pages', async () => {
      const { tableName } = await seededTable()
      const total = (await scanAll(t, tableName)).length
      const table = await findTable(t.documentClient, tableName)
      // dynalite never updates ItemCount, like AWS before its first refresh of a new table.
      expect(table?.ItemCount).toBe(0)
      t.counter.reset()
      expect(await countItems(t.store(tableName), table as TableDescription)).toEqual({
        count: total,
        kind: 'exact',
      })
      expect(t.counter.counts()).toEqual({ Scan: 1 })
      t.counter.reset()
      const bounded = await countItems(t.store(tableName), table as TableDescription, {
        maxPages: 2,
        pageSize: 10,
      })
      expect(bounded).toEqual({ count: 20, kind: 'atLeast' })
      expect(t.counter.counts()).toEqual({ Scan: 2 })
    })

    it("trusts a large table's non-zero estimate and counts a small table whatever its estimate says", async () => {
      const { tableName } = await seededTable()
      const total = (await scanAll(t, tableName)).length
      const table = (await findTable(t.documentClient, tableName)) as TableDescription
      t.counter.reset()
      const large = { ...table, ItemCount: 55_212, TableSizeBytes: 10 * 1024 ** 3 }
      expect(await countItems(t.store(tableName), large)).toEqual({ count: 55_212, kind: 'estimate' })
      expect(t.counter.total()).toBe(0)
      // A stale estimate of a small table: counted, not believed.
      const stale = { ...table, ItemCount: 3, TableSizeBytes: 2_000 }
      expect(await countItems(t.store(tableName), stale)).toEqual({ count: total, kind: 'exact' })
      expect(t.counter.counts()).toEqual({ Scan: 1 })
    })
  })

  describe('createChatTable / deleteChatTable', () => {
    it('creates once, then reports the existing table as matching; deleting a missing table fails', async () => {
      const tableName = `admin-create-${Date.now()}`
      expect(await createChatTable(t.documentClient, tableName, { dryRun: true })).toMatchObject({
        action: 'would-create',
      })
      expect(t.counter.counts()).toEqual({ DescribeTable: 1 })
      expect(await createChatTable(t.documentClient, tableName, { pollMs: 10 })).toMatchObject({
        action: 'created',
        status: 'ACTIVE',
      })
      expect(await createChatTable(t.documentClient, tableName, { pollMs: 10 })).toMatchObject({
        action: 'exists',
        differences: [],
      })
      expect(await deleteChatTable(t.documentClient, tableName, { pollMs: 10 })).toMatchObject({
        action: 'deleted',
      })
      await expect(deleteChatTable(t.documentClient, tableName)).rejects.toMatchObject({
        code: 'store.tableNotFound',
      })

      const provisioned = await createChatTable(t.documentClient, tableName, {
        billingMode: 'PROVISIONED',
        pollMs: 10,
      })
      expect(provisioned).toMatchObject({ action: 'created', differences: [] })
      // Billing is an operating choice: compared only when asked for.
      expect(await createChatTable(t.documentClient, tableName)).toMatchObject({ differences: [] })
      expect(
        await createChatTable(t.documentClient, tableName, { billingMode: 'PAY_PER_REQUEST' }),
      ).toMatchObject({
        differences: ['billing mode: expected PAY_PER_REQUEST, found PROVISIONED'],
      })
      await deleteChatTable(t.documentClient, tableName, { pollMs: 10 })
    })
  })
})
