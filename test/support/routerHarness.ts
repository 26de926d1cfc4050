import { afterAll, beforeAll } from 'vitest'
import { selectRoute } from '../../cli/gateway/gatewayEvents.js'
import { createRouter, type Router, type RouterOptions } from '../../src/lambda/createRouter.js'
import type { ServerFrame } from '../../src/protocol/frames.js'
import { type ConnectionsFake, startConnectionsFake } from './connectionsFake.js'
import type { TestTable } from './dynamo.js'
import { type FixtureName, fixtureEvent, gatewayId } from './websocketEvents.js'

export interface RouterHarness {
  router: Router
  fake: ConnectionsFake
  /** Log lines the router wrote. */
  logs: string[]
  /** Sends a frame as API Gateway would, routed on its `action` (else `$default`). */
  send(
    connectionId: string,
    body: unknown,
    extra?: { requestId?: string; requestTimeEpoch?: number },
  ): Promise<number>
  invoke(name: FixtureName, connectionId: string, body?: unknown): Promise<number>
  /** Frames `connectionId` received since the last `fake.clear()`. */
  frames(connectionId: string): ServerFrame[]
  newConnection(): string
}

/** The Lambda router over the file's test table, posting to a local `@connections` fake. */
export function useRouter(table: TestTable, options: Partial<RouterOptions> = {}): RouterHarness {
  const handle = { logs: [] as string[] } as RouterHarness
  beforeAll(async () => {
    handle.fake = await startConnectionsFake()
    handle.router = createRouter({
      documentClient: table.documentClient,
      tableName: table.tableName,
      managementEndpoint: handle.fake.endpoint,
      region: 'local',
      logger: {
        error: (event, details) => handle.logs.push(JSON.stringify({ level: 'error', event, ...details })),
        warn: (event, details) => handle.logs.push(JSON.stringify({ level: 'warn', event, ...details })),
      },
      ...options,
    })
    handle.invoke = async (name, connectionId, body) =>
      (await handle.router.handler(fixtureEvent(name, { connectionId, body }))).statusCode
    handle.send = async (connectionId, body, extra = {}) => {
      const text = typeof body === 'string' ? body : JSON.stringify(body)
      const routeKey = selectRoute(text)
      const fixture: FixtureName = routeKey === '$default' ? 'default' : (routeKey as FixtureName)
      const event = fixtureEvent(fixture, { connectionId, body: text, routeKey, ...extra })
      return (await handle.router.handler(event)).statusCode
    }
    handle.frames = (connectionId) => handle.fake.framesFor(connectionId)
    handle.newConnection = gatewayId
  })
  afterAll(async () => {
    handle.router.close()
    await handle.fake.close()
  })
  return handle
}
