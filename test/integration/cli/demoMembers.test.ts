import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { joinDemoMembers } from '../../../cli/demoMembers.js'
import { type Gateway, startGateway } from '../../../cli/gateway/startGateway.js'
import { useTestTable } from '../../support/dynamo.js'

const t = useTestTable()
let gateway: Gateway

const dataset = {
  users: [
    { userName: 'ada', connectionId: 'seed-ada=' },
    { userName: 'bob', connectionId: 'seed-bob=' },
  ],
  rooms: [
    { roomName: 'demo-shared', subscribers: ['ada', 'bob'] },
    { roomName: 'demo-bob', subscribers: ['bob'] },
  ],
  messages: [],
}

const members = async (roomName: string) =>
  (await t.repository().connectionsInRoom(roomName)).map((s) => [s.userName, s.connectionId] as const)

beforeAll(async () => {
  // API Gateway's idle timeout, scaled from 10 minutes to one second.
  gateway = await startGateway({
    port: 0,
    documentClient: t.documentClient,
    tableName: t.tableName,
    idleTimeoutMs: 1_000,
    maxConnectionAgeMs: Number.POSITIVE_INFINITY,
  })
})
afterAll(async () => {
  await gateway.close()
})

describe('demoMembers', () => {
  describe('joinDemoMembers', () => {
    it('connects again and rejoins every room when the gateway closes a member for being idle (1001)', async () => {
      const demo = await joinDemoMembers(gateway.url, dataset)
      expect(demo).toMatchObject({ members: 2, subscriptions: 3 })
      const first = new Set((await members('demo-shared')).map(([, id]) => id))
      expect(first.size).toBe(2)
      await expect
        .poll(() => gateway.stats().idleClosedConnections, { timeout: 15_000 })
        .toBeGreaterThanOrEqual(2)
      // Back in both rooms, on connections of their own that are not the first ones.
      await expect
        .poll(
          async () => {
            const shared = await members('demo-shared')
            const bobs = await members('demo-bob')
            const fresh = [...shared, ...bobs].every(([, id]) => !first.has(id))
            return { shared: shared.map(([name]) => name).sort(), bob: bobs.map(([name]) => name), fresh }
          },
          { timeout: 15_000 },
        )
        .toEqual({ shared: ['ada', 'bob'], bob: ['bob'], fresh: true })
      demo.close()
      await expect.poll(() => members('demo-shared'), { timeout: 15_000 }).toEqual([])
    })
  })
})
