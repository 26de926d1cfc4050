import { beforeEach, describe, expect, it } from 'vitest'
import { MAX_OUTGOING_FRAME_BYTES } from '../../../src/protocol/fitFrame.js'
import { useTestTable } from '../../support/dynamo.js'
import { useRouter } from '../../support/routerHarness.js'

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
