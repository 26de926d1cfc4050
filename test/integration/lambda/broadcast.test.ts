import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { isChatDbError } from '../../../src/errors.js'
import { createRouter, type RouterOptions } from '../../../src/lambda/createRouter.js'
import { MAX_OUTGOING_FRAME_BYTES } from '../../../src/protocol/fitFrame.js'
import { useTestTable } from '../../support/dynamo.js'
import { useRouter } from '../../support/routerHarness.js'
import { fixtureEvent } from '../../support/websocketEvents.js'

const t = useTestTable()
const h = useRouter(t)

beforeEach(() => {
  h.fake.clear()
  t.counter.reset()
})

async function subscribeAll(roomName: string, names: string[]) {
  const ids = names.map(() => h.newConnection())
  await Promise.all(ids.map((id, i) => h.send(id, { action: 'subscribe', roomName, userName: names[i] })))
  h.fake.clear()
  t.counter.reset()
  return ids
}

describe('router', () => {
  describe('posts in flight for a room of 160', () => {
    const members = 160
    const roomName = 'crowd'
    let sender: string
    beforeAll(async () => {
      const ids = Array.from({ length: members }, () => h.newConnection())
      sender = ids[0] as string
      const repository = t.repository()
      for (let i = 0; i < ids.length; i += 10) {
        await Promise.all(
          ids
            .slice(i, i + 10)
            .map((connectionId, j) =>
              repository.subscribe({ roomName, connectionId, userName: `u${i + j}` }),
            ),
        )
      }
    })

    /**
     * Holds every post at the fake and answers them a few at a time: the router's sendMessage must
     * keep exactly `expected` in flight while posts remain (held posts cannot hide an extra one:
     * it would raise the fake's maximum). Counted at the endpoint, not timed.
     */
    async function expectInFlight(expected: number, options: Partial<RouterOptions> = {}) {
      const router = createRouter({
        documentClient: t.documentClient,
        tableName: t.tableName,
        managementEndpoint: h.fake.endpoint,
        region: 'local',
        logger: { error: () => {}, warn: () => {} },
        ...options,
      })
      h.fake.hold()
      const connectionsBefore = h.fake.connections()
      try {
        const event = fixtureEvent('sendMessage', {
          connectionId: sender,
          body: { action: 'sendMessage', roomName, message: 'all at once' },
        })
        const answered = router.handler(event)
        await vi.waitFor(() => expect(h.fake.posts()).toBe(expected), { timeout: 5_000 })
        while (h.fake.posts() < members) {
          const before = h.fake.posts()
          const step = Math.min(Math.ceil(expected / 4), members - before)
          h.fake.release(step)
          await vi.waitFor(() => expect(h.fake.posts()).toBe(before + step), { timeout: 5_000 })
          expect(h.fake.inFlight()).toBe(expected)
        }
        h.fake.unhold()
        expect(await answered).toEqual({ statusCode: 200 })
        expect(h.fake.maxInFlight()).toBe(expected)
        // Keep-alive: one connection per socket, reused for the posts after the first wave.
        expect(h.fake.connections() - connectionsBefore).toBe(expected)
      } finally {
        h.fake.unhold()
        router.close()
      }
    }

    it('posts 128 at a time by default, over a pool of as many sockets', async () => {
      await expectInFlight(128)
    })

    it('posts `postConcurrency` at a time, the pool sized to match', async () => {
      await expectInFlight(12, { postConcurrency: 12 })
    })

    it('posts no more at a time than `managementMaxSockets` allows', async () => {
      await expectInFlight(10, { managementMaxSockets: 10 })
    })

    it('refuses counts that are not positive whole numbers when it is built', () => {
      const refused = (options: Partial<RouterOptions>) => {
        try {
          createRouter({ documentClient: t.documentClient, tableName: t.tableName, ...options })
        } catch (error) {
          return error
        }
      }
      expect(isChatDbError(refused({ postConcurrency: 0 }), 'validation.option')).toBe(true)
      expect(isChatDbError(refused({ postConcurrency: 2.5 }), 'validation.option')).toBe(true)
      expect(isChatDbError(refused({ managementMaxSockets: -1 }), 'validation.option')).toBe(true)
      // In the one wording of every setting (src/config/settings.ts).
      expect(refused({ managementMaxSockets: 2.5 })).toHaveProperty(
        'message',
        'managementMaxSockets must be a whole number ≥ 1 (got 2.5)',
      )
    })
  })

  describe('a connection gone during a broadcast (410)', () => {
    it('has its subscriptions deleted while the others still receive', async () => {
      const [ada, bob, gone, cy] = (await subscribeAll('lobby', [
        'ada',
        'bob',
        'ghost',
        'cy',
      ])) as string[] as [string, string, string, string]
      await h.send(gone, { action: 'subscribe', roomName: 'attic', userName: 'ghost' })
      h.fake.markGone(gone)
      h.fake.clear()
      expect(await h.send(bob, { action: 'sendMessage', roomName: 'lobby', message: 'anyone there?' })).toBe(
        200,
      )
      for (const id of [ada, bob, cy]) {
        expect(h.frames(id)).toMatchObject([
          { type: 'newMessage', message: { userName: 'bob', message: 'anyone there?' } },
        ])
      }
      expect(h.frames(gone)).toEqual([])
      const repository = t.repository()
      expect((await repository.connectionsInRoom('lobby')).map((s) => s.connectionId).sort()).toEqual(
        [ada, bob, cy].sort(),
      )
      // All of the gone connection's subscriptions, not only this room's.
      expect(await repository.connectionsInRoom('attic')).toEqual([])
      expect((await repository.activeRooms()).map((r) => r.roomName)).not.toContain('attic')
    })
  })

  describe('a room state over 128 KB', () => {
    it('is trimmed, oldest messages first, and says so', async () => {
      const [writer, ...rest] = await subscribeAll('novel', ['writer', 'reader'])
      const base = Date.UTC(2026, 10, 1)
      // 50 messages of 4,096 characters (3 bytes each in UTF-8): about 600 KB of room state.
      const repository = t.repository()
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          repository.postMessage({
            roomName: 'novel',
            connectionId: writer as string,
            message: `${String(i).padStart(2, '0')}`.padEnd(4096, '€'),
            time: base + i,
          }),
        ),
      )
      h.fake.clear()
      const late = h.newConnection()
      expect(await h.send(late, { action: 'subscribe', roomName: 'novel', userName: 'late' })).toBe(200)
      const [frame] = h.frames(late)
      if (frame?.type !== 'subscribed') throw new Error(`expected a subscribed frame, got ${frame?.type}`)
      expect(frame.users).toEqual(['late', 'reader', 'writer'])
      expect(frame.truncated).toEqual({ messages: 50 - frame.messages.length, users: 0 })
      expect(frame.messages.length).toBeGreaterThan(0)
      // The newest ones, oldest first.
      expect(frame.messages.map((m) => m.time)).toEqual(
        Array.from({ length: frame.messages.length }, (_, i) => base + 50 - frame.messages.length + i),
      )
      expect(Math.max(...h.fake.bodySizes())).toBeLessThanOrEqual(MAX_OUTGOING_FRAME_BYTES)
      expect(rest).toHaveLength(1)
    })
  })

  describe('a store failure', () => {
    it('answers a 500 error frame and logs the error as JSON', async () => {
      const { createRouter } = await import('../../../src/lambda/createRouter.js')
      const { fixtureEvent } = await import('../../support/websocketEvents.js')
      const logs: string[] = []
      const router = createRouter({
        documentClient: t.documentClient,
        tableName: 'no-such-table',
        managementEndpoint: h.fake.endpoint,
        region: 'local',
        logger: {
          error: (event, details) => logs.push(JSON.stringify({ event, ...details })),
          warn: () => {},
        },
      })
      const id = h.newConnection()
      const roomName = 'general'
      const event = fixtureEvent('subscribe', {
        connectionId: id,
        body: { action: 'subscribe', roomName, userName: 'ada' },
      })
      expect((await router.handler(event)).statusCode).toBe(500)
      expect(h.frames(id)).toEqual([
        {
          type: 'error',
          action: 'subscribe',
          statusCode: 500,
          error: 'Internal Server Error',
          message: 'the request could not be completed (store.tableNotFound); try again',
        },
      ])
      expect(logs).toHaveLength(1)
      expect(JSON.parse(logs[0] as string)).toMatchObject({
        event: 'route.failed',
        route: 'subscribe',
        connectionId: id,
        error: { name: 'ChatDbError', code: 'store.tableNotFound' },
      })
      router.close()
    })
  })
})
