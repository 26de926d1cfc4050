import { InternalServerError } from '@aws-sdk/client-dynamodb'
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb'
import { DeleteItemCommand } from 'dynamodb-toolbox/entity/actions/delete'
import { PutItemCommand } from 'dynamodb-toolbox/entity/actions/put'
import { describe, expect, it } from 'vitest'
import { ChatDbError } from '../../../src/errors.js'
import { roomKey, subscriptionPartition } from '../../../src/keys.js'
import type { LargeRoomSnapshot } from '../../../src/repository/largeRoomReads.js'
import { createLargeRooms } from '../../../src/repository/largeRooms.js'
import { createRepositoryContext } from '../../../src/repository/repositoryContext.js'
import { createRoomUpkeep } from '../../../src/repository/roomUpkeep.js'
import { createTableStore } from '../../../src/repository/tableStore.js'
import type { RoomSnapshot, RoomState } from '../../../src/repository/types.js'
import { newDocumentClient, useTestTable } from '../../support/dynamo.js'
import { failNthRequest } from '../../support/faults.js'
import { scanAll } from '../../support/scan.js'

const t = useTestTable()

/** The clock of every upkeep here: a created room's `createdAt`. */
const NOW = 1_700_000_000_000

/** The error `failNthRequest(..., 'internal')` makes the SDK throw. */
const internal = { name: 'InternalServerError', message: 'injected: internal server error' }

async function roomRecords(roomName: string) {
  return (await scanAll(t.documentClient, t.tableName)).filter((i) => i.pk === 'Room' && i.data === roomName)
}

/** An upkeep on this file's table (or on `documentClient`'s view of it), with the fixed clock. */
function upkeepOn(documentClient: DynamoDBDocumentClient = t.documentClient) {
  const repo = t.repository({ documentClient })
  const upkeep = createRoomUpkeep({
    entities: createTableStore({ documentClient, tableName: t.tableName }).entities,
    now: () => NOW,
    readSnapshot: repo.roomSnapshot,
  })
  return { repo, upkeep }
}

/** A subscription written without the repository's settle: the guard does not know of it yet. */
async function join(roomName: string, connectionId: string) {
  await t
    .store()
    .entities.Subscription.build(PutItemCommand)
    .item({ roomName, connectionId, userName: connectionId, subscribedAt: NOW })
    .send()
}

async function leave(roomName: string, connectionId: string) {
  await t.store().entities.Subscription.build(DeleteItemCommand).key({ roomName, connectionId }).send()
}

/** The raw listing record the guard `state` is applied as. */
function listing({ roomName, createdAt, listed, version }: RoomState) {
  return {
    ...roomKey({ roomName, active: listed, createdAt }),
    _et: 'Room',
    data: roomName,
    active: listed,
    createdAt,
    version,
  }
}

async function guardOf(roomName: string) {
  return (await upkeepOn().repo.roomSnapshot(roomName)).state
}

/** A request on a room's listed record (`true|…`). */
const isListed = (input: Record<string, unknown>) =>
  String((input.Key as { sk?: unknown } | undefined)?.sk).startsWith('true|')

/** Runs `action` once, just before the first request on `documentClient` that `matches` goes out. */
function beforeRequest(
  documentClient: DynamoDBDocumentClient,
  matches: (input: Record<string, unknown>) => boolean,
  action: () => Promise<unknown>,
) {
  let pending = true
  const name = `beforeRequest${Math.floor(Math.random() * 1e9)}`
  documentClient.middlewareStack.add(
    (next) => async (args) => {
      if (pending && matches(args.input as Record<string, unknown>)) {
        pending = false
        await action()
      }
      return next(args)
    },
    { step: 'initialize', name },
  )
  return { stop: () => documentClient.middlewareStack.remove(name) }
}

/** A room made large (2 shards) by its second member, then emptied behind the guard's back. */
async function emptiedLargeRoom(roomName: string) {
  const repo = t.repository({ largeRoomThreshold: 2, largeRoomShards: 2 })
  await repo.subscribe({ roomName, connectionId: `${roomName}-a`, userName: 'ada' })
  await repo.subscribe({ roomName, connectionId: `${roomName}-b`, userName: 'bob' })
  const large = await guardOf(roomName)
  expect(large).toMatchObject({ listed: true, shards: 2 })
  const subscriptions = (await scanAll(t.documentClient, t.tableName)).filter(
    (item) => String(item.pk).startsWith(subscriptionPartition(roomName)) && item._et === 'Subscription',
  )
  expect(subscriptions).toHaveLength(2)
  for (const { pk, sk } of subscriptions) {
    await t.documentClient.send(new DeleteCommand({ TableName: t.tableName, Key: { pk, sk } }))
  }
  return { large: large as RoomState, subscriptions }
}

/** The exact read of a large room on this file's table (what the repository wires in). */
function exactRead(readSnapshot: (roomName: string) => Promise<RoomSnapshot>) {
  return createLargeRooms({ documentClient: t.documentClient, tableName: t.tableName, readSnapshot })
    .readLarge
}

describe('createRoomUpkeep', () => {
  describe('apply', () => {
    it('undoes a stale claim whose put lands after a newer claim removed that key', async () => {
      const repo = t.repository()
      const upkeep = createRoomUpkeep({
        entities: t.store().entities,
        now: Date.now,
        readSnapshot: repo.roomSnapshot,
      })
      const room = { roomName: 'late', createdAt: 1_700_000_000_000 }
      // v6 (not listed) is applied in full; then the writer of v5 (listed) wakes up and applies.
      await upkeep.apply({ ...room, listed: false, version: 6 })
      await upkeep.apply({ ...room, listed: true, version: 5 })
      const records = await roomRecords('late')
      expect(records).toHaveLength(1)
      expect(records[0]).toMatchObject({ active: false, version: 6 })
    })

    it('undoes only its own put: a newer claim that wrote that key meanwhile stays', async () => {
      const { upkeep } = upkeepOn()
      const room = { roomName: 'undo-own', createdAt: NOW }
      await upkeep.apply({ ...room, listed: false, version: 6 })
      // v5 (listed) puts its record and fails to delete v6's; before its undo, v7 (listed) is
      // applied by another caller: it deletes v6's record and overwrites v5's with its own.
      const other = newDocumentClient()
      const theirs = upkeepOn(other).upkeep
      const hook = beforeRequest(
        t.documentClient,
        (input) => input.ConditionExpression !== undefined && !('Item' in input) && isListed(input),
        async () => theirs.apply({ ...room, listed: true, version: 7 }),
      )
      try {
        await upkeep.apply({ ...room, listed: true, version: 5 })
      } finally {
        hook.stop()
        other.destroy()
      }
      expect(await roomRecords('undo-own')).toStrictEqual([listing({ ...room, listed: true, version: 7 })])
    })

    it('lets the newest claim win whatever order the writes arrive in', async () => {
      const repo = t.repository()
      const upkeep = createRoomUpkeep({
        entities: t.store().entities,
        now: Date.now,
        readSnapshot: repo.roomSnapshot,
      })
      const room = { roomName: 'order', createdAt: 1_700_000_000_001 }
      const claims = [
        { ...room, listed: true, version: 1 },
        { ...room, listed: false, version: 2 },
        { ...room, listed: true, version: 3 },
        { ...room, listed: false, version: 4 },
      ]
      for (const order of [
        [3, 0, 2, 1],
        [1, 3, 0, 2],
      ]) {
        for (const index of order) await upkeep.apply(claims[index] as (typeof claims)[number])
        const records = await roomRecords('order')
        expect(records).toHaveLength(1)
        expect(records[0]).toMatchObject({ active: false, version: 4 })
      }
    })

    it("lets any other error of a stale claim's undo through unchanged", async () => {
      const client = newDocumentClient({ maxAttempts: 1 })
      try {
        const { upkeep } = upkeepOn(client)
        const room = { roomName: 'undo-fails', createdAt: NOW }
        await upkeep.apply({ ...room, listed: false, version: 6 })
        // The put lands, the delete of the other record fails its condition, the undo meets a 500.
        const fault = failNthRequest(client, 3, 'internal')
        const error = await upkeep.apply({ ...room, listed: true, version: 5 }).catch((e: unknown) => e)
        fault.stop()
        expect(fault.failed()).toBe('DeleteItem')
        expect(error).toBeInstanceOf(InternalServerError)
        expect(error).toMatchObject(internal)
      } finally {
        client.destroy()
      }
    })
  })

  describe('settle', () => {
    it('does nothing, and sends nothing, when the guard already agrees', async () => {
      const repo = t.repository()
      await repo.subscribe({ roomName: 'calm', connectionId: 'c1', userName: 'ada' })
      const snapshot = await repo.roomSnapshot('calm')
      const upkeep = createRoomUpkeep({
        entities: t.store().entities,
        now: Date.now,
        readSnapshot: repo.roomSnapshot,
      })
      t.counter.reset()
      expect(await upkeep.settle(snapshot)).toBeUndefined()
      expect(t.counter.total()).toBe(0)
    })

    it('reads the room again after its claim, and lists the room again when a member joined meanwhile', async () => {
      const repo = t.repository()
      await repo.subscribe({ roomName: 'rejoined', connectionId: 'c1', userName: 'ada' })
      // What the last leaver c1 read after its departure: the room empty, its guard v1 listed.
      const leaversRead = { ...(await repo.roomSnapshot('rejoined')), subscribers: [] }
      // Before its claim lands, c2 joins (the guard says listed: nothing to claim) and c1's
      // departure is in place.
      await repo.subscribe({ roomName: 'rejoined', connectionId: 'c2', userName: 'bob' })
      await repo.unsubscribe({ roomName: 'rejoined', connectionId: 'c1' })
      const upkeep = createRoomUpkeep({
        entities: t.store().entities,
        now: Date.now,
        readSnapshot: repo.roomSnapshot,
      })
      t.counter.reset()
      // The late claim (v2, not listed) lands; the read after it finds c2 and lists the room again.
      expect(await upkeep.settle(leaversRead)).toBe('reactivated')
      expect(t.counter.counts()).toEqual({ PutItem: 4, DeleteItem: 2, Query: 2 })
      expect((await repo.activeRooms()).map((r) => r.roomName)).toContain('rejoined')
      expect(await roomRecords('rejoined')).toMatchObject([{ active: true, version: 3 }])
    })

    it('gives up with store.contention when every claim loses', async () => {
      const repo = t.repository()
      await repo.subscribe({ roomName: 'busy', connectionId: 'c1', userName: 'ada' })
      const stale = { ...(await repo.roomSnapshot('busy')), subscribers: [] }
      // The guard moves on (v1 -> v2 -> v3) while this caller keeps re-reading an old view.
      await repo.unsubscribe({ roomName: 'busy', connectionId: 'c1' })
      await repo.subscribe({ roomName: 'busy', connectionId: 'c1', userName: 'ada' })
      const upkeep = createRoomUpkeep({
        entities: t.store().entities,
        now: Date.now,
        readSnapshot: async () => stale,
        maxAttempts: 3,
      })
      t.counter.reset()
      const error = await upkeep.settle(stale).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'store.contention' })
      expect(error).toMatchObject({ message: 'room "busy" changed 3 times while being settled; try again' })
      expect(t.counter.counts()).toEqual({ PutItem: 3 })
      expect((await repo.activeRooms()).map((r) => r.roomName)).toContain('busy')
    })

    it('makes each needed transition exactly once, with exact guard and listing records', async () => {
      const { repo, upkeep } = upkeepOn()
      await join('cycle', 'c1')
      t.counter.reset()
      expect(await upkeep.settle(await repo.roomSnapshot('cycle'))).toBe('created')
      // The read, the claim, the record's put and the other's delete, the read after the claim.
      expect(t.counter.counts()).toStrictEqual({ Query: 2, PutItem: 2, DeleteItem: 1 })
      const created = { roomName: 'cycle', createdAt: NOW, listed: true, version: 1 }
      expect(await guardOf('cycle')).toStrictEqual(created)
      expect(await roomRecords('cycle')).toStrictEqual([listing(created)])

      await leave('cycle', 'c1')
      expect(await upkeep.settle(await repo.roomSnapshot('cycle'))).toBe('emptied')
      const emptied = { ...created, listed: false, version: 2 }
      expect(await guardOf('cycle')).toStrictEqual(emptied)
      expect(await roomRecords('cycle')).toStrictEqual([listing(emptied)])

      await join('cycle', 'c2')
      expect(await upkeep.settle(await repo.roomSnapshot('cycle'))).toBe('reactivated')
      const reactivated = { ...created, version: 3 }
      expect(await guardOf('cycle')).toStrictEqual(reactivated)
      expect(await roomRecords('cycle')).toStrictEqual([listing(reactivated)])
    })

    it('makes no transition a room does not need: no guard is written, nothing is sent', async () => {
      const { repo, upkeep } = upkeepOn()
      t.counter.reset()
      expect(await upkeep.settle(await repo.roomSnapshot('never'))).toBeUndefined()
      expect(t.counter.counts()).toStrictEqual({ Query: 1 })
      expect(await guardOf('never')).toBeUndefined()
      expect(await roomRecords('never')).toStrictEqual([])

      await join('idle', 'c1')
      await upkeep.settle(await repo.roomSnapshot('idle'))
      await leave('idle', 'c1')
      await upkeep.settle(await repo.roomSnapshot('idle'))
      const unlisted = await repo.roomSnapshot('idle')
      t.counter.reset()
      expect(await upkeep.settle(unlisted)).toBeUndefined()
      expect(t.counter.total()).toBe(0)
      expect(await roomRecords('idle')).toStrictEqual([
        listing({ roomName: 'idle', createdAt: NOW, listed: false, version: 2 }),
      ])
    })

    it('applies its own claim whose answer was lost and whose resend failed its own condition', async () => {
      const { repo, upkeep } = upkeepOn()
      await join('lost', 'c1')
      const snapshot = await repo.roomSnapshot('lost')
      t.counter.reset()
      // The claim lands, its answer is lost, the SDK resends it and the resend finds version 1.
      const fault = failNthRequest(t.documentClient, 1, 'lostResponse')
      try {
        expect(await upkeep.settle(snapshot)).toBe('created')
      } finally {
        fault.stop()
      }
      expect(fault.failed()).toBe('PutItem')
      // The claim twice (the SDK's resend), the read that finds it, then the apply.
      expect(t.counter.counts()).toStrictEqual({ PutItem: 3, DeleteItem: 1, Query: 1 })
      const created = { roomName: 'lost', createdAt: NOW, listed: true, version: 1 }
      expect(await guardOf('lost')).toStrictEqual(created)
      expect(await roomRecords('lost')).toStrictEqual([listing(created)])
    })

    it('does not apply a claim of the same version that is not its own', async () => {
      // Two callers create the room at once with different clocks: only the winner's record is written.
      const { repo } = upkeepOn()
      await join('twins', 'c1')
      const bothRead = await repo.roomSnapshot('twins')
      const later = createRoomUpkeep({
        entities: t.store().entities,
        now: () => NOW + 1,
        readSnapshot: repo.roomSnapshot,
      })
      expect(await upkeepOn().upkeep.settle(bothRead)).toBe('created')
      expect(await later.settle(bothRead)).toBeUndefined()
      const created = { roomName: 'twins', createdAt: NOW, listed: true, version: 1 }
      expect(await guardOf('twins')).toStrictEqual(created)
      expect(await roomRecords('twins')).toStrictEqual([listing(created)])
    })

    it('does not apply a refused claim that differs from the guard only in its state or version', async () => {
      const { repo, upkeep } = upkeepOn()
      await join('stale', 'c1')
      await upkeep.settle(await repo.roomSnapshot('stale'))
      const listedRead = await repo.roomSnapshot('stale')
      await leave('stale', 'c1')
      await upkeep.settle(await repo.roomSnapshot('stale'))
      const emptied = { roomName: 'stale', createdAt: NOW, listed: false, version: 2 }
      // One that read v1 unlisted with a member claims v2 listed: refused, and v2 is not its state.
      const unlistedRead = { ...listedRead, state: { ...emptied, version: 1 } }
      t.counter.reset()
      expect(await upkeep.settle(unlistedRead)).toBeUndefined()
      expect(t.counter.counts()).toStrictEqual({ PutItem: 1, Query: 1 })
      expect(await guardOf('stale')).toStrictEqual(emptied)
      expect(await roomRecords('stale')).toStrictEqual([listing(emptied)])
      // The same read once the room is at v3 listed: its claim of v2 listed is refused, and the
      // guard holds its state in another version.
      await join('stale', 'c2')
      await upkeep.settle(await repo.roomSnapshot('stale'))
      const relisted = { ...emptied, listed: true, version: 3 }
      t.counter.reset()
      expect(await upkeep.settle(unlistedRead)).toBeUndefined()
      expect(t.counter.counts()).toStrictEqual({ PutItem: 1, Query: 1 })
      expect(await roomRecords('stale')).toStrictEqual([listing(relisted)])
    })

    it('reports and applies its claim even when a newer one lands before its read after it', async () => {
      const { repo, upkeep } = upkeepOn()
      await join('overtaken', 'c1')
      const snapshot = await repo.roomSnapshot('overtaken')
      // Between this caller's claim (v1, listed) and its read after it, c1 leaves and another
      // caller settles the room (v2, not listed).
      const other = newDocumentClient()
      const hook = beforeRequest(
        t.documentClient,
        (input) => input.KeyConditionExpression !== undefined,
        async () => {
          await leave('overtaken', 'c1')
          const { upkeep: theirs, repo: theirRepo } = upkeepOn(other)
          expect(await theirs.settle(await theirRepo.roomSnapshot('overtaken'))).toBe('emptied')
        },
      )
      try {
        expect(await upkeep.settle(snapshot)).toBe('created')
      } finally {
        hook.stop()
        other.destroy()
      }
      const emptied = { roomName: 'overtaken', createdAt: NOW, listed: false, version: 2 }
      expect(await guardOf('overtaken')).toStrictEqual(emptied)
      expect(await roomRecords('overtaken')).toStrictEqual([listing(emptied)])
    })

    it('hands on a transition made while small when the room turns out large on the read after it', async () => {
      const { repo, upkeep } = upkeepOn()
      await join('grown', 'c1')
      const snapshot = await repo.roomSnapshot('grown')
      // Between the claim (v1, listed) and the read after it, another process marks the room large.
      const other = newDocumentClient()
      const hook = beforeRequest(
        t.documentClient,
        (input) => input.KeyConditionExpression !== undefined,
        async () => {
          const marker = createRepositoryContext({
            documentClient: other,
            tableName: t.tableName,
            largeRoomShards: 2,
          })
          expect(await marker.lifecycle.grow(snapshot)).toStrictEqual({ kind: 'large', shards: 2 })
        },
      )
      try {
        expect(await upkeep.settle(snapshot)).toBe('created')
      } finally {
        hook.stop()
        other.destroy()
      }
      const large = { roomName: 'grown', createdAt: NOW, listed: true, version: 2, shards: 2 }
      expect(await guardOf('grown')).toStrictEqual(large)
      expect(await roomRecords('grown')).toStrictEqual([listing({ ...large, version: 1 })])
    })

    it('lets any other error of each request of a settle through unchanged', async () => {
      // No retries, so the injected 500 is the error the caller sees.
      const client = newDocumentClient({ maxAttempts: 1 })
      try {
        // The repository's read turns a failed Query into its own error: the upkeep passes that on.
        const repo = t.repository({ documentClient: client })
        const readErrors: unknown[] = []
        const upkeep = createRoomUpkeep({
          entities: createTableStore({ documentClient: client, tableName: t.tableName }).entities,
          now: () => NOW,
          readSnapshot: (roomName) =>
            repo.roomSnapshot(roomName).catch((error: unknown) => {
              readErrors.push(error)
              throw error
            }),
        })
        const expectFailure = async (roomName: string, nth: number, operation: string) => {
          const snapshot = await repo.roomSnapshot(roomName)
          const fault = failNthRequest(client, nth, 'internal')
          const error = await upkeep.settle(snapshot).catch((e: unknown) => e)
          fault.stop()
          expect(fault.failed()).toBe(operation)
          if (operation === 'Query') {
            expect(readErrors).toHaveLength(1)
            expect(error).toBe(readErrors.pop())
          } else {
            expect(error).toBeInstanceOf(InternalServerError)
            expect(error).toMatchObject(internal)
          }
        }
        // The claim, the record's put, the other record's delete, the read after the claim.
        for (const [nth, operation] of [
          [1, 'PutItem'],
          [2, 'PutItem'],
          [3, 'DeleteItem'],
          [4, 'Query'],
        ] as const) {
          await join(`failing-${nth}`, 'c1')
          await expectFailure(`failing-${nth}`, nth, operation)
        }
        // And in a large room's settle: its exact read (base partition first), its claim.
        for (const [nth, operation] of [
          [1, 'Query'],
          [4, 'PutItem'],
        ] as const) {
          await emptiedLargeRoom(`failing-large-${nth}`)
          await expectFailure(`failing-large-${nth}`, nth, operation)
        }
      } finally {
        client.destroy()
      }
    })
  })

  describe('settleLarge', () => {
    function largeUpkeep(
      options: {
        maxAttempts?: number
        readLarge?: (r: string, s: number) => Promise<LargeRoomSnapshot>
      } = {},
    ) {
      const told: [string, number][] = []
      const exactReads: LargeRoomSnapshot[] = []
      const repo = t.repository()
      const upkeep = createRoomUpkeep({
        entities: t.store().entities,
        now: () => NOW,
        readSnapshot: repo.roomSnapshot,
        onLarge: (roomName, shards) => told.push([roomName, shards]),
        afterExactRead: async (snapshot) => exactReads.push(snapshot),
        ...options,
      })
      return { repo, upkeep, told, exactReads }
    }

    it('settles a large room from exact reads of every partition, keeping its shards', async () => {
      const { large, subscriptions } = await emptiedLargeRoom('vast')
      // The default exact read (the entities' table), as `chatdb cleanup rooms` uses it.
      const { repo, upkeep, told, exactReads } = largeUpkeep()
      t.counter.reset()
      expect(await upkeep.settle(await repo.roomSnapshot('vast'))).toBe('emptied')
      // The base read, then per read the base and both shards; a claim, a put, a delete.
      expect(t.counter.counts()).toStrictEqual({ Query: 7, PutItem: 2, DeleteItem: 1 })
      const emptied = { ...large, listed: false, version: large.version + 1 }
      expect(await guardOf('vast')).toStrictEqual(emptied)
      expect(await roomRecords('vast')).toStrictEqual([listing(emptied)])
      expect(told).toStrictEqual([['vast', 2]])
      expect(
        exactReads.map(({ state, subscribers, shards }) => ({ state, subscribers, shards })),
      ).toStrictEqual([{ state: emptied, subscribers: [], shards: 2 }])

      // Nothing owed: one exact read, no write, and the read is still handed on.
      t.counter.reset()
      expect(await upkeep.settleLarge('vast', 2)).toBeUndefined()
      expect(t.counter.counts()).toStrictEqual({ Query: 3 })
      expect(exactReads).toHaveLength(2)

      // A member back in a shard: the room is listed again.
      const [back] = subscriptions
      await t.documentClient.send(new PutCommand({ TableName: t.tableName, Item: back }))
      expect(await upkeep.settleLarge('vast', 2)).toBe('reactivated')
      const reactivated = { ...large, version: large.version + 2 }
      expect(await guardOf('vast')).toStrictEqual(reactivated)
      expect(await roomRecords('vast')).toStrictEqual([listing(reactivated)])
    })

    it('applies its own large-room claim whose answer was lost', async () => {
      const { large } = await emptiedLargeRoom('vast-lost')
      const { upkeep, exactReads } = largeUpkeep()
      t.counter.reset()
      // Three Queries (the exact read), then the claim: it lands, its answer is lost.
      const fault = failNthRequest(t.documentClient, 4, 'lostResponse')
      try {
        expect(await upkeep.settleLarge('vast-lost', 2)).toBe('emptied')
      } finally {
        fault.stop()
      }
      expect(fault.failed()).toBe('PutItem')
      // The claim twice, the read that finds it, the apply; it needs nothing more.
      expect(t.counter.counts()).toStrictEqual({ Query: 6, PutItem: 3, DeleteItem: 1 })
      const emptied = { ...large, listed: false, version: large.version + 1 }
      expect(await guardOf('vast-lost')).toStrictEqual(emptied)
      expect(await roomRecords('vast-lost')).toStrictEqual([listing(emptied)])
      expect(exactReads.map((read) => read.state)).toStrictEqual([emptied])
    })

    it('does not apply a refused large-room claim that is not its own', async () => {
      const { large } = await emptiedLargeRoom('vast-stale')
      const real = largeUpkeep()
      const readLarge = exactRead(real.repo.roomSnapshot)
      const stale = await readLarge('vast-stale', 2)
      expect(await real.upkeep.settleLarge('vast-stale', 2)).toBe('emptied')
      // First an out-of-date read (v not listed, a member): its claim of v+1 listed is refused,
      // and the guard holds v+1 not listed, not its state. Then the room as it is: nothing owed.
      let reads = 0
      const { upkeep } = largeUpkeep({
        readLarge: async (roomName, shards) =>
          reads++ === 0
            ? {
                ...stale,
                state: { ...(stale.state as RoomState), listed: false },
                subscribers: [{ connectionId: 'x', userName: 'x', subscribedAt: NOW }],
              }
            : readLarge(roomName, shards),
      })
      const emptied = { ...large, listed: false, version: large.version + 1 }
      t.counter.reset()
      expect(await upkeep.settleLarge('vast-stale', 2)).toBeUndefined()
      expect(t.counter.counts()).toStrictEqual({ PutItem: 1, Query: 3 })
      expect(reads).toBe(2)
      expect(await guardOf('vast-stale')).toStrictEqual(emptied)
      expect(await roomRecords('vast-stale')).toStrictEqual([listing(emptied)])
    })

    it('gives up with store.contention when every large-room claim loses', async () => {
      await emptiedLargeRoom('vast-busy')
      const first = largeUpkeep()
      const stale = await exactRead(first.repo.roomSnapshot)('vast-busy', 2)
      await first.upkeep.settleLarge('vast-busy', 2)
      const { upkeep, exactReads } = largeUpkeep({ maxAttempts: 3, readLarge: async () => stale })
      t.counter.reset()
      const error = await upkeep.settleLarge('vast-busy', 2).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ChatDbError)
      expect(error).toMatchObject({
        code: 'store.contention',
        message: 'room "vast-busy" changed 3 times while being settled; try again',
      })
      expect(t.counter.counts()).toStrictEqual({ PutItem: 3 })
      expect(exactReads).toStrictEqual([])
    })
  })
})
