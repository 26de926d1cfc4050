import { beforeEach, describe, expect, it } from 'vitest'
import { ChatDbError, isChatDbError } from '../../../src/errors.js'
import { createRouter } from '../../../src/lambda/createRouter.js'
import { createFanOutHandler } from '../../../src/lambda/fanOutHandler.js'
import { createMemoryQueue } from '../../../src/queue/memoryQueue.js'
import { toSqsRecord } from '../../../src/queue/queuePoller.js'
import type { QueuePort } from '../../../src/queue/types.js'
import { createChatRepository } from '../../../src/repository/chatRepository.js'
import { useTestTable } from '../../support/dynamo.js'
import { useRouter } from '../../support/routerHarness.js'
import { fixtureEvent } from '../../support/websocketEvents.js'

const t = useTestTable()
const h = useRouter(t)

let roomCount = 0
const newRoom = () => `room-${++roomCount}`

beforeEach(() => {
  h.fake.clear()
  t.counter.reset()
})

/** Subscribes connections (in order) under the given names, then forgets the frames and counts. */
async function room(names: string[], roomName = newRoom()) {
  const ids = names.map(() => h.newConnection())
  for (const [i, userName] of names.entries()) {
    expect(await h.send(ids[i] as string, { action: 'subscribe', roomName, userName })).toBe(200)
  }
  h.fake.clear()
  t.counter.reset()
  return { roomName, ids }
}

describe('router', () => {
  describe('$connect', () => {
    it('accepts the connection without touching the table', async () => {
      expect(await h.invoke('connect', h.newConnection())).toBe(200)
      expect(t.counter.total()).toBe(0)
      expect(h.fake.posts()).toBe(0)
    })
  })

  describe('subscribe', () => {
    it('answers the first subscriber with an empty room state, within budget + the room creation', async () => {
      const id = h.newConnection()
      const roomName = newRoom()
      expect(await h.send(id, { action: 'subscribe', roomName, userName: 'ada' })).toBe(200)
      expect(h.frames(id)).toEqual([{ type: 'subscribed', roomName, users: ['ada'], messages: [] }])
      expect(t.counter.total()).toBeLessThanOrEqual(4 + 4)
      expect(h.fake.recipients()).toEqual([id])
    })

    it('gives a later subscriber the users (distinct, sorted) and recent messages oldest first; tells the others', async () => {
      const { roomName, ids } = await room(['zoe', 'ada', 'zoe'])
      const [zoe1, ada, zoe2] = ids as [string, string, string]
      // Sent in reverse time order: the state must still list them by time.
      const base = Date.UTC(2026, 10, 25, 10)
      for (const [text, offset] of [
        ['three', 2],
        ['one', 0],
        ['two', 1],
      ] as const) {
        await h.send(
          ada,
          { action: 'sendMessage', roomName, message: text },
          { requestTimeEpoch: base + offset },
        )
      }
      h.fake.clear()
      t.counter.reset()
      const bob = h.newConnection()
      expect(await h.send(bob, { action: 'subscribe', roomName, userName: 'bob' })).toBe(200)
      const [state, ...rest] = h.frames(bob)
      expect(rest).toEqual([])
      expect(state).toMatchObject({ type: 'subscribed', roomName, users: ['ada', 'bob', 'zoe'] })
      expect(state?.type === 'subscribed' && state.messages.map((m) => [m.userName, m.message])).toEqual([
        ['ada', 'one'],
        ['ada', 'two'],
        ['ada', 'three'],
      ])
      if (state?.type !== 'subscribed') return
      const times = state.messages.map((m) => m.time)
      expect(times).toEqual([...times].sort((a, b) => a - b))
      for (const other of [zoe1, ada, zoe2]) {
        expect(h.frames(other)).toEqual([{ type: 'userSubscribed', roomName, userName: 'bob' }])
      }
      // The GSI count (rooms per connection), the put, the room, the recent messages.
      expect(t.counter.counts()).toEqual({ PutItem: 1, Query: 3 })
      expect(t.counter.total()).toBeLessThanOrEqual(4)
    })

    it('is idempotent: a second subscribe answers the state again and tells nobody', async () => {
      const { roomName, ids } = await room(['ada', 'bob'])
      const [ada, bob] = ids as [string, string]
      expect(await h.send(bob, { action: 'subscribe', roomName, userName: 'bob' })).toBe(200)
      expect(h.frames(bob)).toEqual([{ type: 'subscribed', roomName, users: ['ada', 'bob'], messages: [] }])
      expect(h.frames(ada)).toEqual([])
      expect(t.counter.total()).toBeLessThanOrEqual(4)
    })

    it('does not announce a user name already in the room under another connection', async () => {
      const { roomName, ids } = await room(['ada', 'bob'])
      const ada2 = h.newConnection()
      await h.send(ada2, { action: 'subscribe', roomName, userName: 'ada' })
      expect(h.frames(ada2)).toMatchObject([{ type: 'subscribed', users: ['ada', 'bob'] }])
      expect(h.frames(ids[1] as string)).toEqual([])
      expect(h.frames(ids[0] as string)).toEqual([])
    })
  })

  describe('sendMessage', () => {
    it('stores the message and posts it to every subscriber, the sender included, in 2 requests', async () => {
      const { roomName, ids } = await room(['ada', 'bob', 'cy'])
      const requestTimeEpoch = Date.UTC(2026, 10, 25, 12)
      const status = await h.send(
        ids[1] as string,
        { action: 'sendMessage', roomName, message: 'hi all' },
        {
          requestTimeEpoch,
        },
      )
      expect(status).toBe(200)
      expect(t.counter.counts()).toEqual({ Query: 1, PutItem: 1 })
      const stored = await t.repository().recentMessages(roomName)
      expect(stored.map((m) => [m.userName, m.message, m.time])).toEqual([
        ['bob', 'hi all', requestTimeEpoch],
      ])
      // Every copy carries the stored message's id, so a client can drop a duplicate.
      const expected = {
        type: 'newMessage',
        roomName,
        message: { id: stored[0]?.id, userName: 'bob', message: 'hi all', time: requestTimeEpoch },
      }
      for (const id of ids) expect(h.frames(id)).toEqual([expected])
    })

    it("refuses a non-member's message with a 400, stores nothing and tells nobody", async () => {
      const { roomName, ids } = await room(['ada'])
      const stranger = h.newConnection()
      expect(await h.send(stranger, { action: 'sendMessage', roomName, message: 'let me in' })).toBe(400)
      expect(h.frames(stranger)).toEqual([
        {
          type: 'error',
          action: 'sendMessage',
          statusCode: 400,
          error: 'Bad Request',
          message: `connection is not subscribed to room "${roomName}"`,
        },
      ])
      expect(h.frames(ids[0] as string)).toEqual([])
      expect(t.counter.writes()).toBe(0)
      expect(t.counter.total()).toBeLessThanOrEqual(2)
      expect(await t.repository().recentMessages(roomName)).toEqual([])
    })

    it('stores a retried request once, and posts it again (at-least-once delivery)', async () => {
      const { roomName, ids } = await room(['ada', 'bob'])
      const retry = { requestId: 'Xk3bBd1XoAMFzTQ=', requestTimeEpoch: Date.UTC(2026, 10, 25, 13) }
      const frame = { action: 'sendMessage', roomName, message: 'once' }
      expect(await h.send(ids[0] as string, frame, retry)).toBe(200)
      expect(await h.send(ids[0] as string, frame, retry)).toBe(200)
      const stored = await t.repository().recentMessages(roomName)
      expect(stored).toHaveLength(1)
      expect(stored[0]?.id).toBe(retry.requestId)
      expect(h.frames(ids[1] as string)).toHaveLength(2)
      expect(h.logs.some((line) => JSON.parse(line).event === 'message.repeated')).toBe(true)
    })

    it('keeps two messages of one millisecond from two requests', async () => {
      const { roomName, ids } = await room(['ada'])
      const requestTimeEpoch = Date.UTC(2026, 10, 25, 14)
      await h.send(ids[0] as string, { action: 'sendMessage', roomName, message: 'a' }, { requestTimeEpoch })
      await h.send(ids[0] as string, { action: 'sendMessage', roomName, message: 'b' }, { requestTimeEpoch })
      expect((await t.repository().recentMessages(roomName)).map((m) => m.message).sort()).toEqual(['a', 'b'])
    })
  })

  describe('unsubscribe', () => {
    it('answers the leaver and tells the others, in 2 requests', async () => {
      const { roomName, ids } = await room(['ada', 'bob', 'cy'])
      const [ada, bob, cy] = ids as [string, string, string]
      expect(await h.send(bob, { action: 'unsubscribe', roomName })).toBe(200)
      expect(h.frames(bob)).toEqual([{ type: 'unsubscribed', roomName }])
      for (const other of [ada, cy]) {
        expect(h.frames(other)).toEqual([{ type: 'userUnsubscribed', roomName, userName: 'bob' }])
      }
      // The leave turns the subscription into a departure (an UpdateItem), then the room Query.
      expect(t.counter.counts()).toEqual({ UpdateItem: 1, Query: 1 })
      expect((await t.repository().connectionsInRoom(roomName)).map((s) => s.userName).sort()).toEqual([
        'ada',
        'cy',
      ])
    })

    it('answers a connection that was not subscribed and tells nobody', async () => {
      const { roomName, ids } = await room(['ada'])
      const stranger = h.newConnection()
      expect(await h.send(stranger, { action: 'unsubscribe', roomName })).toBe(200)
      expect(h.frames(stranger)).toEqual([{ type: 'unsubscribed', roomName }])
      expect(h.frames(ids[0] as string)).toEqual([])
    })

    it('unlists the room when the last subscriber leaves, within budget + the transition', async () => {
      const { roomName, ids } = await room(['ada'])
      await h.send(ids[0] as string, { action: 'unsubscribe', roomName })
      expect(t.counter.total()).toBeLessThanOrEqual(2 + 4)
      expect((await t.repository().activeRooms()).map((r) => r.roomName)).not.toContain(roomName)
    })
  })

  describe('$disconnect', () => {
    it('removes every subscription and tells each room, in 1 GSI query + 1 batch + 1 query per room', async () => {
      const leaver = h.newConnection()
      const rooms = await Promise.all([room(['ann']), room(['ben', 'bo']), room(['cat'])])
      for (const { roomName } of rooms) {
        await h.send(leaver, { action: 'subscribe', roomName, userName: 'lee' })
      }
      h.fake.clear()
      t.counter.reset()
      expect(await h.invoke('disconnect', leaver)).toBe(200)
      expect(t.counter.counts()).toEqual({ Query: 1 + 3, BatchWriteItem: 1 })
      for (const { roomName, ids } of rooms) {
        for (const id of ids)
          expect(h.frames(id)).toEqual([{ type: 'userUnsubscribed', roomName, userName: 'lee' }])
        expect((await t.repository().connectionsInRoom(roomName)).map((s) => s.connectionId)).not.toContain(
          leaver,
        )
      }
      expect(h.frames(leaver)).toEqual([])
    })

    it('deletes more than 25 subscriptions in ceil(k/25) batches, each emptied room within its +4', async () => {
      const leaver = h.newConnection()
      const rooms = Array.from({ length: 26 }, () => newRoom())
      await Promise.all(
        rooms.map((roomName) => h.send(leaver, { action: 'subscribe', roomName, userName: 'lee' })),
      )
      t.counter.reset()
      expect(await h.invoke('disconnect', leaver)).toBe(200)
      const counts = t.counter.counts()
      expect(counts.BatchWriteItem).toBe(2)
      // Each room read once, and each emptied one read again after its claim.
      expect(counts.Query).toBe(1 + 26 + 26)
      expect(t.counter.total()).toBeLessThanOrEqual(1 + 2 + 26 + 4 * 26)
      const listed = new Set((await t.repository().activeRooms()).map((r) => r.roomName))
      expect(rooms.filter((roomName) => listed.has(roomName))).toEqual([])
    })

    it('does nothing for a connection without subscriptions but the one GSI query', async () => {
      expect(await h.invoke('disconnect', h.newConnection())).toBe(200)
      expect(t.counter.counts()).toEqual({ Query: 1 })
    })
  })

  describe('listRooms', () => {
    it('lists the active rooms in creation order, in 1 request', async () => {
      const first = await room(['ada'])
      const second = await room(['bob'])
      const gone = await room(['cy'])
      await h.send(gone.ids[0] as string, { action: 'unsubscribe', roomName: gone.roomName })
      h.fake.clear()
      t.counter.reset()
      const asker = h.newConnection()
      expect(await h.send(asker, { action: 'listRooms' })).toBe(200)
      const [frame] = h.frames(asker)
      expect(frame?.type).toBe('roomList')
      if (frame?.type !== 'roomList') return
      const names = frame.rooms.map((r) => r.roomName)
      expect(names).toContain(first.roomName)
      expect(names.indexOf(first.roomName)).toBeLessThan(names.indexOf(second.roomName))
      expect(names).not.toContain(gone.roomName)
      const created = frame.rooms.map((r) => r.createdAt)
      expect(created).toEqual([...created].sort((a, b) => a - b))
      expect(frame.rooms.every((r) => Object.keys(r).sort().join() === 'createdAt,roomName')).toBe(true)
      expect(t.counter.counts()).toEqual({ Query: 1 })
    })
  })

  describe('$default', () => {
    it('handles a known action that reached $default', async () => {
      const asker = h.newConnection()
      expect(await h.invoke('default', asker, { action: 'listRooms' })).toBe(200)
      expect(h.frames(asker)).toMatchObject([{ type: 'roomList' }])
    })

    it('refuses the fixture (an unknown action) with a 400', async () => {
      const asker = h.newConnection()
      expect(await h.invoke('default', asker)).toBe(400)
      expect(h.frames(asker)).toEqual([
        {
          type: 'error',
          statusCode: 400,
          error: 'Bad Request',
          message: 'unknown action: expected one of "subscribe", "unsubscribe", "sendMessage", "listRooms"',
        },
      ])
    })

    it('decodes a base64 body', async () => {
      const asker = h.newConnection()
      const body = Buffer.from('{"action":"listRooms"}').toString('base64')
      const { fixtureEvent } = await import('../../support/websocketEvents.js')
      const event = fixtureEvent('default', { connectionId: asker, body, isBase64Encoded: true })
      expect((await h.router.handler(event)).statusCode).toBe(200)
      expect(h.frames(asker)).toMatchObject([{ type: 'roomList' }])
    })
  })

  describe('named routes', () => {
    it('refuses a frame whose action is not the route it came in on', async () => {
      const asker = h.newConnection()
      expect(await h.invoke('subscribe', asker, { action: 'listRooms' })).toBe(400)
      expect(h.frames(asker)).toMatchObject([
        {
          type: 'error',
          action: 'subscribe',
          statusCode: 400,
          message: expect.stringMatching(/takes "subscribe"/),
        },
      ])
      expect(t.counter.total()).toBe(0)
    })

    it('serves each route from its own handler too', async () => {
      const id = h.newConnection()
      const roomName = newRoom()
      const { fixtureEvent } = await import('../../support/websocketEvents.js')
      const event = (name: 'subscribe' | 'sendMessage' | 'listRooms' | 'unsubscribe', body: unknown) =>
        fixtureEvent(name, { connectionId: id, body })
      expect((await h.router.connect(fixtureEvent('connect', { connectionId: id }))).statusCode).toBe(200)
      expect(
        (await h.router.subscribe(event('subscribe', { action: 'subscribe', roomName, userName: 'ada' })))
          .statusCode,
      ).toBe(200)
      expect(
        (await h.router.sendMessage(event('sendMessage', { action: 'sendMessage', roomName, message: 'x' })))
          .statusCode,
      ).toBe(200)
      expect((await h.router.listRooms(event('listRooms', { action: 'listRooms' }))).statusCode).toBe(200)
      expect(
        (await h.router.unsubscribe(event('unsubscribe', { action: 'unsubscribe', roomName }))).statusCode,
      ).toBe(200)
      expect((await h.router.defaultRoute(fixtureEvent('default', { connectionId: id }))).statusCode).toBe(
        400,
      )
      expect((await h.router.disconnect(fixtureEvent('disconnect', { connectionId: id }))).statusCode).toBe(
        200,
      )
      expect(h.frames(id).map((f) => f.type)).toEqual([
        'subscribed',
        'newMessage',
        'roomList',
        'unsubscribed',
        'error',
      ])
    })
  })
})

/** A router of its own on the fake `@connections` endpoint, publishing to a memory queue. */
function routerWithQueue(options: {
  largeRoomThreshold: number
  largeRoomShards?: number
  fanOutQueue?: QueuePort
}) {
  const queue = createMemoryQueue()
  const router = createRouter({
    documentClient: t.documentClient,
    tableName: t.tableName,
    managementEndpoint: h.fake.endpoint,
    region: 'local',
    managementCredentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    metrics: false,
    fanOutQueue: queue,
    ...options,
  })
  return { queue, router }
}

describe('createRouter options', () => {
  it('refuses a large-room threshold or shard count the repository would refuse, when built', () => {
    const refused = (options: Record<string, number>) => {
      try {
        createRouter({ documentClient: t.documentClient, tableName: t.tableName, ...options }).close()
      } catch (error) {
        return isChatDbError(error, 'validation.option') ? error.message : `other: ${error}`
      }
      return 'accepted'
    }
    expect(refused({ largeRoomThreshold: 1 })).toContain('largeRoomThreshold')
    expect(refused({ largeRoomThreshold: 2.5 })).toContain('largeRoomThreshold')
    expect(refused({ largeRoomShards: 0 })).toContain('largeRoomShards')
    expect(refused({ largeRoomShards: 1_025 })).toContain('largeRoomShards')
    expect(refused({ largeRoomThreshold: 2, largeRoomShards: 1_024 })).toBe('accepted')
    expect(refused({ largeRoomThreshold: Number.POSITIVE_INFINITY })).toBe('accepted')
  })

  it('serves a small room as before with a fan-out queue, which only large rooms use', async () => {
    const { queue, router } = routerWithQueue({ largeRoomThreshold: 1_000 })
    try {
      const connectionId = h.newConnection()
      const roomName = newRoom()
      const subscribe = { action: 'subscribe', roomName, userName: 'ada' }
      const send = { action: 'sendMessage', roomName, message: 'small' }
      expect(await router.handler(fixtureEvent('subscribe', { connectionId, body: subscribe }))).toEqual({
        statusCode: 200,
      })
      t.counter.reset()
      expect(await router.handler(fixtureEvent('sendMessage', { connectionId, body: send }))).toEqual({
        statusCode: 200,
      })
      // The small-room budget, unchanged by the queue's presence.
      expect(t.counter.total()).toBe(2)
      expect(h.fake.framesFor(connectionId).map((f) => f.type)).toEqual(['subscribed', 'newMessage'])
      expect(queue.stats()).toEqual({ visible: 0, inFlight: 0 })
    } finally {
      router.close()
    }
  })

  it("enqueues a large room's message as one job per partition, each naming the endpoint to post to", async () => {
    const { queue, router } = routerWithQueue({ largeRoomThreshold: 2, largeRoomShards: 3 })
    try {
      const roomName = newRoom()
      const ids = [h.newConnection(), h.newConnection(), h.newConnection()]
      for (const [i, connectionId] of ids.entries()) {
        const body = { action: 'subscribe', roomName, userName: `u${i}` }
        expect(await router.handler(fixtureEvent('subscribe', { connectionId, body }))).toEqual({
          statusCode: 200,
        })
      }
      // The second brought the room to the threshold, the third joined it large: each a count,
      // and nobody was told of either.
      expect(h.fake.framesFor(ids[1] as string)).toMatchObject([{ type: 'subscribed', subscriberCount: 2 }])
      expect(h.fake.framesFor(ids[2] as string)).toMatchObject([{ type: 'subscribed', subscriberCount: 3 }])
      expect(h.fake.framesFor(ids[0] as string).filter((f) => f.type === 'userSubscribed')).toHaveLength(0)
      const send = { action: 'sendMessage', roomName, message: 'to everyone' }
      t.counter.reset()
      expect(
        await router.handler(fixtureEvent('sendMessage', { connectionId: ids[2] as string, body: send })),
      ).toEqual({ statusCode: 200 })
      // Membership by key and the message: no read of the room.
      expect(t.counter.counts()).toEqual({ BatchGetItem: 1, PutItem: 1 })
      const queued = (await queue.receive({ maxMessages: 10 })).map((m) => JSON.parse(m.body))
      // The crossing's roomStats went the same way.
      const stats = queued.filter((job) => job.frame.type === 'roomStats')
      expect(stats.map((job) => job.shard).sort()).toEqual([-1, 0, 1, 2])
      expect(stats[0]).toMatchObject({ endpoint: h.fake.endpoint, frame: { subscriberCount: 2 } })
      const jobs = queued.filter((job) => job.frame.type === 'newMessage')
      expect(jobs.map((job) => job.shard).sort()).toEqual([-1, 0, 1, 2])
      for (const job of jobs) {
        expect(job).toMatchObject({
          v: 1,
          kind: 'shard',
          roomName,
          attempt: 0,
          endpoint: h.fake.endpoint,
          frame: { type: 'newMessage', roomName, message: { userName: 'u2', message: 'to everyone' } },
        })
      }
    } finally {
      router.close()
    }
  })

  it("stores a large room's message only once its jobs are queued: a resend after a failed publish stores one copy, delivered once", async () => {
    const memory = createMemoryQueue()
    let queueDown = false
    // The queue fault: SQS not answering (a network failure of every SendMessageBatch).
    const queue: QueuePort = {
      ...memory,
      async sendBatch(batch) {
        if (queueDown) throw new ChatDbError('queue.unavailable', 'injected: the queue did not answer')
        return memory.sendBatch(batch)
      },
    }
    const { router } = routerWithQueue({ largeRoomThreshold: 2, largeRoomShards: 3, fanOutQueue: queue })
    const worker = createFanOutHandler({
      documentClient: t.documentClient,
      tableName: t.tableName,
      queue: memory,
      managementEndpoint: h.fake.endpoint,
      region: 'local',
      managementCredentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      logger: { error: () => {}, warn: () => {} },
    })
    const repository = createChatRepository({ documentClient: t.documentClient, tableName: t.tableName })
    try {
      const roomName = newRoom()
      const ids = [h.newConnection(), h.newConnection(), h.newConnection()]
      for (const [i, connectionId] of ids.entries()) {
        const body = { action: 'subscribe', roomName, userName: `u${i}` }
        expect((await router.handler(fixtureEvent('subscribe', { connectionId, body }))).statusCode).toBe(200)
      }
      await memory.deleteBatch((await memory.receive({ maxMessages: 10 })).map((m) => m.receiptHandle))
      h.fake.clear()
      const sender = ids[1] as string
      const send = { action: 'sendMessage', roomName, message: 'exactly once' }

      queueDown = true
      expect(
        (await router.handler(fixtureEvent('sendMessage', { connectionId: sender, body: send }))).statusCode,
      ).toBe(500)
      expect(h.fake.framesFor(sender)).toMatchObject([{ type: 'error', statusCode: 500 }])
      // Nothing stored: the publish failed before the message was written.
      expect(await repository.recentMessages(roomName)).toEqual([])

      // The client's resend is a new frame (a new request id) once the queue answers again.
      queueDown = false
      expect(
        (await router.handler(fixtureEvent('sendMessage', { connectionId: sender, body: send }))).statusCode,
      ).toBe(200)
      const stored = await repository.recentMessages(roomName)
      expect(stored.map((m) => m.message)).toEqual(['exactly once'])

      const jobs = await memory.receive({ maxMessages: 10 })
      expect(jobs).toHaveLength(4)
      const answer = await worker.handler({
        Records: jobs.map((job) => toSqsRecord(job, 'arn:aws:sqs:local:0:fanout', 'local')),
      })
      expect(answer).toEqual({ batchItemFailures: [] })
      for (const connectionId of ids) {
        const got = h.fake.framesFor(connectionId).filter((f) => f.type === 'newMessage')
        expect(got, connectionId).toMatchObject([{ message: { id: stored[0]?.id, message: 'exactly once' } }])
      }
    } finally {
      router.close()
      worker.close()
    }
  })
})
