import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb'
import { beforeEach, describe, expect, it } from 'vitest'
import { reconcileRooms } from '../../../src/admin/cleanup.js'
import { exportTable } from '../../../src/admin/exportTable.js'
import { importTable } from '../../../src/admin/importTable.js'
import { inspectRoom } from '../../../src/admin/inspectRoom.js'
import { inspectRooms } from '../../../src/admin/inspectRooms.js'
import { inspectTable } from '../../../src/admin/inspectTable.js'
import { PRESENCE_OUTBOX_ENTITY } from '../../../src/entities/index.js'
import { PRESENCE_OUTBOX_SORT_KEY, presenceOutboxKey } from '../../../src/keys.js'
import { createJsonLogger } from '../../../src/log/jsonLogger.js'
import type { ServerFrame } from '../../../src/protocol/frames.js'
import type { ChatRepository } from '../../../src/repository/chatRepository.js'
import type { ChatRepositoryOptions } from '../../../src/repository/types.js'
import { createChatService } from '../../../src/service/chatService.js'
import { mapWithConcurrency } from '../../../src/util/concurrency.js'
import { countRequests } from '../../../src/util/requestCounter.js'
import { createTestTable, newDocumentClient, useTestTable } from '../../support/dynamo.js'
import { createRecordingBroadcaster } from '../../support/recordingBroadcaster.js'

const t = useTestTable()
const broadcaster = createRecordingBroadcaster()
const lines: string[] = []

beforeEach(() => {
  broadcaster.clear()
  lines.length = 0
})

/**
 * Counts calls (not attempts: a retry under load is the same call) of the storm's requests: the
 * consistent Queries of a room partition, full (no Limit) and capped, and the outbox writes.
 */
function countRoomReads(documentClient: DynamoDBDocumentClient, name: string) {
  const counts = { full: 0, capped: 0, outboxUpdates: 0, outboxDeletes: 0 }
  documentClient.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as {
        ConsistentRead?: boolean
        Limit?: number
        KeyConditionExpression?: string
        Key?: { sk?: unknown }
        UpdateExpression?: string
      }
      if (input.ConsistentRead === true && input.KeyConditionExpression !== undefined) {
        if (input.Limit === undefined) counts.full++
        else counts.capped++
      }
      if (input.Key?.sk === PRESENCE_OUTBOX_SORT_KEY) {
        if (input.UpdateExpression !== undefined) counts.outboxUpdates++
        else counts.outboxDeletes++
      }
      return next(args)
    },
    { step: 'initialize', name, override: true },
  )
  return { counts: () => ({ ...counts }) }
}

/**
 * A holder's wait that ends only once every leaver of the test is either done or waiting too:
 * the burst then holds every departure, whatever the scheduling (no timing in the test).
 */
function gatedSleep(total: number) {
  let done = 0
  const sleepers: (() => void)[] = []
  const check = () => {
    if (done + sleepers.length >= total) for (const wake of sleepers.splice(0)) wake()
  }
  return {
    sleep: () =>
      new Promise<void>((resolve) => {
        sleepers.push(resolve)
        check()
      }),
    finished: () => {
      done++
      check()
    },
  }
}

async function fillRoom(
  repository: ChatRepository,
  roomName: string,
  members: { id: string; name: string }[],
) {
  await mapWithConcurrency(members, 16, ({ id, name }) =>
    repository.subscribe({ roomName, connectionId: id, userName: name }),
  )
}

function serviceOver(repository: ChatRepository) {
  return createChatService({
    repository,
    broadcaster,
    logger: createJsonLogger((line) => lines.push(line)),
  })
}

/** Every name a connection was told left `roomName`, through either presence frame. */
function departedNamesSeenBy(connectionId: string, roomName: string): string[] {
  const names: string[] = []
  for (const frame of broadcaster.framesFor(connectionId) as ServerFrame[]) {
    if (frame.type === 'userUnsubscribed' && frame.roomName === roomName) names.push(frame.userName)
    if (frame.type === 'usersUnsubscribed' && frame.roomName === roomName) names.push(...frame.userNames)
  }
  return names.sort()
}

const members = (room: string, count: number) =>
  Array.from({ length: count }, (_, i) => ({
    id: `${room}-${i}=`,
    name: `user-${String(i).padStart(3, '0')}`,
  }))

describe('$disconnect storms', () => {
  it('coalesces 200 concurrent departures of a 300-member room into one full read and one frame per member', async () => {
    const everyone = members('storm', 300)
    // One name on two connections: its leaving connection must not announce it.
    everyone.push({ id: 'storm-twin=', name: 'user-299' })
    const gate = gatedSleep(200)
    // The gate holds the burst until every leaver has come: a lease long enough that a loaded
    // engine's slow answers (200 departures, seconds on a busy machine) never hand it over.
    const repository = t.repository({ coalesceFrom: 100, sleep: gate.sleep, coalesceLeaseMs: 120_000 })
    await fillRoom(repository, 'storm', everyone)
    const reads = countRoomReads(t.documentClient, 'stormReads')
    const service = serviceOver(repository)
    const leavers = [...everyone.slice(100, 299), everyone[300] as { id: string; name: string }]
    broadcaster.clear()

    const outcomes = await Promise.all(
      leavers.map(async ({ id }) => {
        const outcome = await service.disconnect({ connectionId: id })
        gate.finished()
        return outcome.statusCode
      }),
    )

    expect(outcomes.every((code) => code === 200)).toBe(true)
    // Every leaver read one capped page and updated the outbox once; the holder deleted it and
    // read the room in full, once for all 200.
    expect(reads.counts()).toEqual({ full: 1, capped: 200, outboxUpdates: 200, outboxDeletes: 1 })
    const departed = everyone
      .slice(100, 299)
      .map((m) => m.name)
      .sort()
    for (const { id } of everyone.slice(0, 100)) {
      expect(departedNamesSeenBy(id, 'storm')).toEqual(departed)
      // One frame for the whole burst (200 names fit 128 KB many times over).
      expect(broadcaster.framesFor(id)).toEqual([
        { type: 'usersUnsubscribed', roomName: 'storm', userNames: departed },
      ])
    }
    expect(broadcaster.framesFor('storm-299=')).toHaveLength(1)
    expect(departedNamesSeenBy('storm-299=', 'storm')).not.toContain('user-299')
    for (const { id } of leavers) expect(broadcaster.framesFor(id)).toEqual([])
    // The burst is over: no outbox left behind, and the room is as it should be.
    const snapshot = await repository.roomSnapshot('storm')
    expect(snapshot.subscribers).toHaveLength(101)
    expect(snapshot.state?.listed).toBe(true)
    expect(await outboxOf('storm')).toBeUndefined()
  })

  it('tells every remaining member every departed name however the bursts fall (no gate)', async () => {
    const everyone = members('loose', 300)
    const repository = t.repository({ coalesceFrom: 100, sleep: () => new Promise((r) => setImmediate(r)) })
    await fillRoom(repository, 'loose', everyone)
    const reads = countRoomReads(t.documentClient, 'looseReads')
    const service = serviceOver(repository)
    broadcaster.clear()

    await Promise.all(everyone.slice(100).map(({ id }) => service.disconnect({ connectionId: id })))

    const departed = everyone
      .slice(100)
      .map((m) => m.name)
      .sort()
    for (const { id } of everyone.slice(0, 100)) expect(departedNamesSeenBy(id, 'loose')).toEqual(departed)
    // At most one full read per burst, and a burst needs a holder that found the room big.
    expect(reads.counts().full).toBeLessThan(200)
    expect(reads.counts().capped).toBe(200)
  })

  it('unlists the room when all 300 members leave at once', async () => {
    const everyone = members('exodus', 300)
    const gate = gatedSleep(300)
    const repository = t.repository({ coalesceFrom: 100, sleep: gate.sleep })
    await fillRoom(repository, 'exodus', everyone)
    const service = serviceOver(repository)
    expect((await repository.activeRooms()).map((r) => r.roomName)).toContain('exodus')

    await Promise.all(
      everyone.map(async ({ id }) => {
        await service.disconnect({ connectionId: id })
        gate.finished()
      }),
    )

    const snapshot = await repository.roomSnapshot('exodus')
    expect(snapshot.subscribers).toEqual([])
    expect(snapshot.state?.listed).toBe(false)
    expect((await repository.activeRooms()).map((r) => r.roomName)).not.toContain('exodus')
    expect(await outboxOf('exodus')).toBeUndefined()
  })

  describe('a connection a broadcast found gone (410)', () => {
    it('announces the burst it holds, and nothing for a small room it left', async () => {
      const gate = gatedSleep(4)
      const repository = t.repository({ coalesceFrom: 10, sleep: gate.sleep })
      await fillRoom(repository, 'gone', members('gone', 30))
      await fillRoom(repository, 'small', members('small', 3))
      await repository.subscribe({ roomName: 'small', connectionId: 'gone-29=', userName: 'user-029' })
      const service = serviceOver(repository)
      broadcaster.clear()
      // The 410 cleanup records first, so it holds the burst the three $disconnects join.
      const holding = service.removeGone('gone-29=').then(gate.finished)
      while (!(await outboxOf('gone'))) await new Promise((resolve) => setImmediate(resolve))
      await Promise.all(
        ['gone-28=', 'gone-27=', 'gone-26='].map(async (connectionId) => {
          await service.disconnect({ connectionId })
          gate.finished()
        }),
      )
      await holding
      for (const { id } of members('gone', 26)) {
        expect(departedNamesSeenBy(id, 'gone')).toEqual(['user-026', 'user-027', 'user-028', 'user-029'])
      }
      for (const { id } of members('small', 3)) expect(broadcaster.framesFor(id)).toEqual([])
      expect((await repository.roomSnapshot('small')).subscribers).toHaveLength(3)
    })
  })

  it('refuses a coalesceFrom that cannot be a Query limit', () => {
    for (const coalesceFrom of [0, 2.5, Number.NaN]) {
      expect(() => t.repository({ coalesceFrom })).toThrow(
        expect.objectContaining({ code: 'validation.option' }),
      )
    }
    expect(() => t.repository({ coalesceWindowMs: -1 })).toThrow(
      expect.objectContaining({ code: 'validation.option' }),
    )
  })

  describe('a holder that dies', () => {
    it('is taken over by the first leaver after the lease, who announces the whole burst', async () => {
      let clock = Date.UTC(2026, 10, 26, 12)
      const options: Partial<ChatRepositoryOptions> = {
        coalesceFrom: 10,
        coalesceWindowMs: 100,
        coalesceLeaseMs: 2_000,
        now: () => clock,
        sleep: async () => {},
      }
      const everyone = members('fragile', 30)
      await fillRoom(t.repository(options), 'fragile', everyone)
      // The first holder "dies" between taking the burst and clearing it: its delete never lands.
      const dying = t.repository({ ...options, documentClient: dyingOnOutboxDelete(newDocumentClient()) })
      const service = serviceOver(t.repository(options))

      expect(await serviceOver(dying).disconnect({ connectionId: 'fragile-29=' })).toEqual({
        statusCode: 500,
      })
      expect(await service.disconnect({ connectionId: 'fragile-28=' })).toEqual({ statusCode: 200 })
      // Within the lease: recorded for the (dead) holder, nobody told.
      expect(departedNamesSeenBy('fragile-0=', 'fragile')).toEqual([])
      const held = await outboxOf('fragile')
      expect(held?.leavers).toEqual(new Set(['user-028', 'user-029']))

      clock += 2_001
      expect(await service.disconnect({ connectionId: 'fragile-27=' })).toEqual({ statusCode: 200 })
      for (const { id } of everyone.slice(0, 27)) {
        expect(departedNamesSeenBy(id, 'fragile')).toEqual(['user-027', 'user-028', 'user-029'])
      }
      expect(await outboxOf('fragile')).toBeUndefined()
    })
  })

  describe('a holder whose delete lands but whose answer is lost', () => {
    it('is refused on the resend and settles the room itself', async () => {
      const options: Partial<ChatRepositoryOptions> = { coalesceFrom: 5, sleep: async () => {} }
      await fillRoom(t.repository(options), 'lossy', members('lossy', 12))
      const client = losingOutboxDeleteAnswer(newDocumentClient())
      const reads = countRoomReads(client, 'lossyReads')
      const attempts = countRequests(client)
      const repository = t.repository({ ...options, documentClient: client })

      const [removed] = await repository.removeConnection('lossy-11=')

      expect(removed).toMatchObject({ roomName: 'lossy', burst: { holder: false }, subscribers: [] })
      expect(removed?.error).toBeUndefined()
      // One call sent twice (the resend failed its condition), and the room read in full anyway.
      expect(reads.counts()).toMatchObject({ outboxDeletes: 1, full: 1 })
      expect(attempts.counts().DeleteItem).toBe(2)
      expect(await outboxOf('lossy')).toBeUndefined()
      expect((await repository.roomSnapshot('lossy')).subscribers).toHaveLength(11)
    })
  })

  describe('the presence outbox', () => {
    it('never shows up as a subscriber: snapshot, inspect, export and import, cleanup', async () => {
      const options: Partial<ChatRepositoryOptions> = { coalesceFrom: 5, sleep: async () => {} }
      const repository = t.repository(options)
      await fillRoom(repository, 'kept', members('kept', 12))
      // A dead holder leaves the outbox in the partition.
      const dying = t.repository({ ...options, documentClient: dyingOnOutboxDelete(newDocumentClient()) })
      await serviceOver(dying).disconnect({ connectionId: 'kept-11=' })
      expect((await outboxOf('kept'))?._et).toBe(PRESENCE_OUTBOX_ENTITY)

      const ids = members('kept', 11)
        .map((m) => m.id)
        .sort()
      const snapshot = await repository.roomSnapshot('kept')
      expect(snapshot.subscribers.map((s) => s.connectionId).sort()).toEqual(ids)
      expect((await repository.connectionsInRoom('kept')).map((s) => s.connectionId).sort()).toEqual(ids)
      const details = await inspectRoom(repository, 'kept')
      expect(details?.subscribers).toHaveLength(11)
      expect(details?.users).not.toContain(undefined)
      const summary = (await inspectRooms(repository, t.store())).rooms.find((r) => r.roomName === 'kept')
      expect(summary).toMatchObject({ subscribers: 11, users: 11, active: true })
      expect((await inspectTable(t.store()))?.entities[PRESENCE_OUTBOX_ENTITY]).toBe(1)
      // `chatdb cleanup rooms` finds nothing to change: the outbox is neither a room nor a subscriber.
      const reconciled = await reconcileRooms(repository, t.store(), { dryRun: true })
      expect(reconciled.changes.filter((c) => c.roomName === 'kept')).toEqual([])

      const exported: string[] = []
      await exportTable(t.store(), (line) => {
        exported.push(line)
      })
      const copyName = await createTestTable(t.documentClient, 'copy')
      await importTable(t.store(copyName), exported)
      const copy = t.repository({ ...options, tableName: copyName })
      expect((await copy.roomSnapshot('kept')).subscribers.map((s) => s.connectionId).sort()).toEqual(ids)
    })
  })
})

/** A client whose DeleteItem of an outbox fails, as if the Lambda holding the burst died there. */
function dyingOnOutboxDelete(documentClient: DynamoDBDocumentClient): DynamoDBDocumentClient {
  documentClient.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { Key?: { sk?: unknown }; UpdateExpression?: string }
      // The outbox's one DeleteItem: the holder's conditional take.
      if (input.Key?.sk === presenceOutboxKey('x').sk && input.UpdateExpression === undefined) {
        throw Object.assign(new Error('Task timed out after 3.00 seconds'), { name: 'TimeoutError' })
      }
      return next(args)
    },
    { step: 'initialize', name: 'dyingHolder', override: true },
  )
  return documentClient
}

/** A client whose first outbox DeleteItem lands but answers a dropped connection: the SDK resends it. */
function losingOutboxDeleteAnswer(documentClient: DynamoDBDocumentClient): DynamoDBDocumentClient {
  let lost = false
  documentClient.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args)
      // Marshalled by now: `{ S: '#leaving' }`.
      const input = args.input as { Key?: { sk?: { S?: string } }; UpdateExpression?: string }
      // The outbox's one DeleteItem: the holder's conditional take.
      if (!lost && input.Key?.sk?.S === PRESENCE_OUTBOX_SORT_KEY && input.UpdateExpression === undefined) {
        lost = true
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', $metadata: {} })
      }
      return result
    },
    { step: 'deserialize', name: 'losingAnswer', override: true },
  )
  return documentClient
}

async function outboxOf(roomName: string) {
  const { Item } = await t.documentClient.send(
    new GetCommand({ TableName: t.tableName, Key: presenceOutboxKey(roomName), ConsistentRead: true }),
  )
  return Item
}
