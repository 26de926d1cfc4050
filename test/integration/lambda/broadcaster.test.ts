import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { isChatDbError } from '../../../src/errors.js'
import { createBroadcaster, DEFAULT_POST_CONCURRENCY, isGone } from '../../../src/lambda/broadcaster.js'
import { createManagementClient } from '../../../src/lambda/managementClient.js'
import type { ServerFrame } from '../../../src/protocol/frames.js'
import { type ConnectionsFake, startConnectionsFake } from '../../support/connectionsFake.js'

let fake: ConnectionsFake
let client: ApiGatewayManagementApiClient
const frame: ServerFrame = { type: 'userSubscribed', roomName: 'general', userName: 'ada' }
const logs: { event: string; details: Record<string, unknown> }[] = []
const logger = {
  error: (event: string, details: Record<string, unknown>) => logs.push({ event, details }),
  warn: () => {},
}

beforeAll(async () => {
  fake = await startConnectionsFake({ delayMs: 40 })
  client = new ApiGatewayManagementApiClient({ endpoint: fake.endpoint, region: 'local', maxAttempts: 1 })
})
afterAll(async () => {
  client.destroy()
  await fake.close()
})
beforeEach(() => {
  fake.clear()
  logs.length = 0
})

const ids = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}=`)

describe('createBroadcaster', () => {
  describe('post', () => {
    it('delivers to every connection with at most `concurrency` posts in flight, but more than one', async () => {
      const broadcaster = createBroadcaster({ client, onGone: async () => {}, concurrency: 4, logger })
      const targets = ids(20, 'c')
      const report = await broadcaster.post(targets.map((connectionId) => ({ connectionId, frame })))
      expect(report.delivered.sort()).toEqual([...targets].sort())
      expect(report.gone).toEqual([])
      expect(fake.maxInFlight()).toBe(4)
      for (const id of targets) expect(fake.framesFor(id)).toEqual([frame])
    })

    it('hands a gone (410) connection to onGone once, and the others still receive', async () => {
      const gone: string[] = []
      const broadcaster = createBroadcaster({
        client,
        onGone: async (connectionId) => gone.push(connectionId),
        logger,
      })
      const targets = ids(6, 'g')
      fake.markGone('g2=')
      const other: ServerFrame = { type: 'unsubscribed', roomName: 'general' }
      const report = await broadcaster.post([
        ...targets.map((connectionId) => ({ connectionId, frame })),
        { connectionId: 'g2=', frame: other },
      ])
      expect(gone).toEqual(['g2='])
      expect(report.gone).toEqual(['g2='])
      expect(report.delivered).toHaveLength(5)
      for (const id of targets.filter((id) => id !== 'g2=')) expect(fake.framesFor(id)).toEqual([frame])
      expect(logs).toEqual([])
    })

    it('skips a connection once it is known to be gone', async () => {
      let cleanups = 0
      const broadcaster = createBroadcaster({ client, onGone: async () => cleanups++, logger })
      fake.markGone('k0=')
      const deliveries = ids(3, 'k').map((connectionId) => ({ connectionId, frame }))
      expect((await broadcaster.post(deliveries)).gone).toEqual(['k0='])
      const postsBefore = fake.posts()
      const again = await broadcaster.post(deliveries)
      expect(again).toEqual({ delivered: ['k1=', 'k2='], gone: [], failed: [] })
      expect(fake.posts() - postsBefore).toBe(2)
      expect(cleanups).toBe(1)
    })

    it('reports and logs other failures, delivering to the rest', async () => {
      const broadcaster = createBroadcaster({ client, onGone: async () => {}, logger })
      fake.markFailing('f1=')
      const report = await broadcaster.post(ids(3, 'f').map((connectionId) => ({ connectionId, frame })))
      expect(report.failed.map((f) => f.connectionId)).toEqual(['f1='])
      expect(report.delivered.sort()).toEqual(['f0=', 'f2='])
      expect(logs).toMatchObject([
        { event: 'post.failed', details: { connectionId: 'f1=', frame: 'userSubscribed' } },
      ])
    })

    it('keeps going when onGone fails, and logs it', async () => {
      const broadcaster = createBroadcaster({
        client,
        onGone: async () => {
          throw new Error('table is down')
        },
        logger,
      })
      fake.markGone('h0=')
      const report = await broadcaster.post(ids(2, 'h').map((connectionId) => ({ connectionId, frame })))
      expect(report.delivered).toEqual(['h1='])
      expect(logs).toMatchObject([{ event: 'gone.cleanupFailed', details: { connectionId: 'h0=' } }])
    })

    it('never posts a frame over 128 KB', async () => {
      const broadcaster = createBroadcaster({ client, onGone: async () => {}, logger })
      const huge: ServerFrame = {
        type: 'subscribed',
        roomName: 'r',
        users: [],
        messages: Array.from({ length: 40 }, (_, i) => ({
          id: String(i),
          userName: 'u',
          message: 'x'.repeat(4096),
          time: i,
        })),
      }
      const report = await broadcaster.post([{ connectionId: 'big=', frame: huge }])
      expect(report.failed).toHaveLength(1)
      expect(isChatDbError(report.failed[0]?.error, 'connections.frameTooLarge')).toBe(true)
      expect(fake.posts()).toBe(0)
    })
  })

  describe('posts in flight', () => {
    /**
     * Holds every post at the fake and answers them a few at a time: after each release the
     * broadcaster must have replaced exactly the answered posts (never more in flight, never
     * fewer while work remains). Counted at the endpoint, not timed.
     */
    async function expectSteadyInFlight(limit: number, concurrency?: number) {
      const pooled = createManagementClient({
        endpoint: fake.endpoint,
        region: 'local',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        timeoutMs: 30_000,
        maxAttempts: 1,
        // More sockets than posts: the bound under test is the broadcaster's own.
        maxSockets: limit * 2,
      })
      const broadcaster = createBroadcaster({ client: pooled, onGone: async () => {}, concurrency, logger })
      const total = limit * 3 + 5
      const targets = ids(total, `w${limit}-`)
      fake.hold()
      try {
        const done = broadcaster.post(targets.map((connectionId) => ({ connectionId, frame })))
        await vi.waitFor(() => expect(fake.posts()).toBe(limit))
        expect(fake.inFlight()).toBe(limit)
        const step = Math.max(1, Math.floor(limit / 4))
        while (fake.posts() < total) {
          const before = fake.posts()
          const answered = Math.min(step, total - before)
          fake.release(answered)
          await vi.waitFor(() => expect(fake.posts()).toBe(before + answered))
          expect(fake.inFlight()).toBe(limit)
        }
        fake.unhold()
        const report = await done
        expect(report.delivered.sort()).toEqual([...targets].sort())
        expect(fake.maxInFlight()).toBe(limit)
      } finally {
        fake.unhold()
        pooled.destroy()
      }
    }

    it('keeps exactly `concurrency` posts in flight while it has work', async () => {
      await expectSteadyInFlight(8, 8)
    })

    it('keeps 128 (DEFAULT_POST_CONCURRENCY) in flight by default', async () => {
      expect(DEFAULT_POST_CONCURRENCY).toBe(128)
      await expectSteadyInFlight(DEFAULT_POST_CONCURRENCY)
    })

    it('cleans up at most 16 gone connections at once, however many posts are in flight', async () => {
      let active = 0
      let most = 0
      const broadcaster = createBroadcaster({
        client,
        onGone: async () => {
          active++
          most = Math.max(most, active)
          await new Promise((resolve) => setImmediate(resolve))
          active--
        },
        logger,
      })
      const targets = ids(40, 'gc')
      fake.markGone(...targets)
      const report = await broadcaster.post(targets.map((connectionId) => ({ connectionId, frame })))
      expect(report.gone).toHaveLength(40)
      expect(most).toBe(16)
    })

    it('refuses a concurrency that is not a positive whole number', () => {
      for (const concurrency of [0, -1, 2.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        let refused: unknown
        try {
          createBroadcaster({ client, onGone: async () => {}, concurrency, logger })
        } catch (error) {
          refused = error
        }
        expect(isChatDbError(refused, 'validation.option'), String(concurrency)).toBe(true)
      }
    })
  })

  describe('isGone', () => {
    it('goes by the HTTP status as well as the name', () => {
      expect(isGone({ name: 'SomethingElse', $metadata: { httpStatusCode: 410 } })).toBe(true)
      expect(isGone({ name: 'GoneException', $metadata: {} })).toBe(true)
      expect(isGone({ name: 'ForbiddenException', $metadata: { httpStatusCode: 403 } })).toBe(false)
      expect(isGone(undefined)).toBe(false)
    })
  })
})
