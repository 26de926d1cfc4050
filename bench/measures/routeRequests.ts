import { createRouter } from '../../src/lambda/createRouter.js'
import { startConnectionsSink } from '../connectionsSink.js'
import type { BenchEnvironment } from '../env.js'
import { websocketEvent } from '../events.js'
import type { Section } from '../report.js'

const silent = { error: () => {}, warn: () => {} }

/** The request budget per route (docs/protocol.md), and what each route sends on the wire. */
export async function routeRequests(env: BenchEnvironment): Promise<Section> {
  const sink = await startConnectionsSink()
  const tableName = await env.createTable('routes')
  const router = createRouter({
    documentClient: env.documentClient,
    tableName,
    managementEndpoint: sink.endpoint,
    managementCredentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    region: 'local',
    logger: silent,
  })
  const { counter } = env
  const rows: string[][] = []
  const checks: Section['checks'] = []
  const measure = async (label: string, budget: number, run: () => Promise<unknown>) => {
    counter.reset()
    await run()
    const counts = counter.counts()
    const total = counter.total()
    rows.push([
      label,
      String(total),
      String(budget),
      Object.entries(counts)
        .map(([op, n]) => `${op} ${n}`)
        .join(', '),
    ])
    checks.push({ name: `requests: ${label}`, value: total, target: budget, better: 'lower' })
  }
  const send = (routeKey: string, connectionId: string, body?: Record<string, unknown>) =>
    router.handler(websocketEvent(routeKey, connectionId, body))

  try {
    await measure('$connect', 0, () => send('$connect', 'a'))
    await measure('subscribe, new room (created)', 4 + 3, () =>
      send('subscribe', 'a', { action: 'subscribe', roomName: 'lobby', userName: 'ada' }),
    )
    await measure('subscribe, active room', 4, () =>
      send('subscribe', 'b', { action: 'subscribe', roomName: 'lobby', userName: 'bob' }),
    )
    await measure('subscribe again (idempotent)', 4, () =>
      send('subscribe', 'b', { action: 'subscribe', roomName: 'lobby', userName: 'bob' }),
    )
    await measure('sendMessage', 2, () =>
      send('sendMessage', 'a', { action: 'sendMessage', roomName: 'lobby', message: 'hi' }),
    )
    await measure('sendMessage, not subscribed (400)', 2, () =>
      send('sendMessage', 'z', { action: 'sendMessage', roomName: 'lobby', message: 'hi' }),
    )
    await measure('listRooms', 1, () => send('listRooms', 'a', { action: 'listRooms' }))
    await measure('unsubscribe, others remain', 2, () =>
      send('unsubscribe', 'b', { action: 'unsubscribe', roomName: 'lobby' }),
    )
    await measure('unsubscribe, room empties', 2 + 3, () =>
      send('unsubscribe', 'a', { action: 'unsubscribe', roomName: 'lobby' }),
    )
    await measure('subscribe, room reactivated', 4 + 3, () =>
      send('subscribe', 'a', { action: 'subscribe', roomName: 'lobby', userName: 'ada' }),
    )
    await measure('bad frame (400)', 0, () =>
      send('$default', 'a', { action: 'subscribe', roomName: 'a|b', userName: 'x' }),
    )
    for (let i = 0; i < 30; i++) {
      await send('subscribe', 'c', { action: 'subscribe', roomName: `room-${i}`, userName: 'cy' })
      await send('subscribe', `d${i}`, { action: 'subscribe', roomName: `room-${i}`, userName: 'di' })
    }
    // 1 GSI query + ceil(30/25) batches + one Query per room; no room empties.
    await measure('$disconnect with 30 subscriptions', 1 + 2 + 30, () => send('$disconnect', 'c'))
  } finally {
    router.close()
    await sink.close()
  }
  return {
    title: 'DynamoDB requests per route',
    description:
      'Counted on the wire (one per attempt) while the router handles API Gateway events; the budget is the one in docs/protocol.md ' +
      '(room transitions add up to 3).',
    header: ['route', 'requests', 'budget', 'operations'],
    rows,
    checks,
  }
}
