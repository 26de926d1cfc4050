import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanupStale, reconcileRooms } from '../../../src/admin/cleanup.js'
import { createRouter, type Router } from '../../../src/lambda/createRouter.js'
import type { ServerFrame } from '../../../src/protocol/frames.js'
import { mapWithConcurrency } from '../../../src/util/concurrency.js'
import { type ConnectionsFake, startConnectionsFake } from '../../support/connectionsFake.js'
import { newDocumentClient, useTestTable } from '../../support/dynamo.js'
import { injectDynamoFaults, injectUnprocessedItems } from '../../support/faults.js'
import { prng, scanAll } from '../../support/scan.js'
import { fixtureEvent } from '../../support/websocketEvents.js'

const t = useTestTable()
const faultyClient = newDocumentClient()
let fake: ConnectionsFake
let router: Router
const logs: string[] = []

beforeAll(async () => {
  fake = await startConnectionsFake({ faults: { rate: 0.1, seed: 3 } })
  router = createRouter({
    documentClient: faultyClient,
    tableName: t.tableName,
    managementEndpoint: fake.endpoint,
    region: 'local',
    logger: { error: (event) => logs.push(event), warn: () => {} },
  })
})
afterAll(async () => {
  router.close()
  await fake.close()
  faultyClient.destroy()
})

type Op =
  | { kind: 'subscribe'; roomName: string }
  | { kind: 'unsubscribe'; roomName: string }
  | { kind: 'sendMessage'; roomName: string; text: string }
  | { kind: 'listRooms' }
  | { kind: 'disconnect' }

const ANSWER = {
  subscribe: 'subscribed',
  unsubscribe: 'unsubscribed',
  sendMessage: 'newMessage',
  listRooms: 'roomList',
}

describe('under 20% DynamoDB faults and 10% @connections faults', () => {
  it('acknowledges only what it stored once, tells every failure, and converges once cleanup has run', async () => {
    const dynamoFaults = injectDynamoFaults(faultyClient, { rate: 0.2, seed: 11 })
    const unprocessed = injectUnprocessedItems(faultyClient, (n, call) =>
      call % 3 === 0 ? Math.floor(n / 2) : 0,
    )
    const random = prng(2026)
    const rooms = ['alpha', 'beta', 'gamma', 'delta']
    const connections = Array.from({ length: 48 }, (_, i) => `rel-${String(i).padStart(2, '0')}`)
    const plans = new Map<string, Op[]>(connections.map((c) => [c, []]))
    let textSeq = 0
    for (let i = 0; i < 1_040; i++) {
      const connectionId = random.pick(connections)
      const roll = random.next()
      const roomName = random.pick(rooms)
      const op: Op =
        roll < 0.3
          ? { kind: 'subscribe', roomName }
          : roll < 0.45
            ? { kind: 'unsubscribe', roomName }
            : roll < 0.9
              ? { kind: 'sendMessage', roomName, text: `msg-${++textSeq}` }
              : { kind: 'listRooms' }
      plans.get(connectionId)?.push(op)
    }
    // A third of the connections end by leaving; their $disconnect meets the same faults.
    const leavers = connections.filter((_, i) => i % 3 === 0)
    for (const c of leavers) plans.get(c)?.push({ kind: 'disconnect' })

    const acknowledged = new Set<string>()
    const untold: string[] = []
    let failures = 0
    let operations = 0
    const framesOf = (c: string): ServerFrame[] => fake.framesFor(c)
    const countOf = (c: string, match: (f: ServerFrame) => boolean) => framesOf(c).filter(match).length

    // Connections act concurrently, each one's frames in order (as one socket sends them).
    await mapWithConcurrency(connections, connections.length, async (connectionId) => {
      for (const op of plans.get(connectionId) ?? []) {
        operations++
        if (op.kind === 'disconnect') {
          await router.handler(fixtureEvent('disconnect', { connectionId }))
          continue
        }
        const body =
          op.kind === 'subscribe'
            ? { action: 'subscribe', roomName: op.roomName, userName: `user-${connectionId}` }
            : op.kind === 'unsubscribe'
              ? { action: 'unsubscribe', roomName: op.roomName }
              : op.kind === 'sendMessage'
                ? { action: 'sendMessage', roomName: op.roomName, message: op.text }
                : { action: 'listRooms' }
        const isAnswer = (f: ServerFrame) =>
          op.kind === 'sendMessage'
            ? f.type === 'newMessage' && f.message.message === op.text
            : f.type === ANSWER[op.kind]
        const isError = (f: ServerFrame) => f.type === 'error' && f.action === body.action
        const before = { answers: countOf(connectionId, isAnswer), errors: countOf(connectionId, isError) }
        await router.handler(fixtureEvent(op.kind, { connectionId, body }))
        const answered = countOf(connectionId, isAnswer) - before.answers
        const errors = framesOf(connectionId).filter(isError).slice(before.errors)
        if (answered > 0 && op.kind === 'sendMessage') acknowledged.add(op.text)
        if (errors.some((e) => e.type === 'error' && e.statusCode === 500)) failures++
        if (answered === 0 && errors.length === 0) untold.push(`${connectionId} ${JSON.stringify(op)}`)
      }
    })
    dynamoFaults.stop()
    injectUnprocessedItems(faultyClient, () => 0)

    expect(operations).toBeGreaterThanOrEqual(1_000)
    expect(dynamoFaults.total()).toBeGreaterThan(200)
    expect(unprocessed.injected()).toBeGreaterThan(0)
    expect(fake.faultsInjected()).toBeGreaterThan(50)
    // Every operation answered: its own frame, or an error frame (500 when a fault won).
    expect(untold).toEqual([])
    expect(failures).toBeGreaterThan(0)

    // Every message acknowledged to its sender is stored exactly once.
    const items = await scanAll(t.documentClient, t.tableName)
    const stored = new Map<string, number>()
    for (const item of items.filter((i) => i._et === 'Message')) {
      stored.set(item.message as string, (stored.get(item.message as string) ?? 0) + 1)
    }
    expect([...acknowledged].filter((text) => stored.get(text) !== 1)).toEqual([])
    expect([...stored.values()].every((n) => n === 1)).toBe(true)

    // Cleanup (what `chatdb cleanup stale` and `chatdb cleanup rooms` run), then the invariants.
    const repository = t.repository()
    const gone = new Set(leavers)
    await cleanupStale(repository, t.store(), async (id) =>
      gone.has(id) ? { status: 'gone' } : { status: 'connected' },
    )
    await reconcileRooms(repository, t.store())
    const after = await scanAll(t.documentClient, t.tableName)
    const subscriptions = after.filter((i) => i._et === 'Subscription')
    expect(subscriptions.filter((s) => gone.has(s.data as string))).toEqual([])
    const listed = new Set((await repository.activeRooms()).map((r) => r.roomName))
    for (const roomName of rooms) {
      const members = subscriptions.filter((s) => s.roomName === roomName)
      expect({ roomName, listed: listed.has(roomName) }).toEqual({ roomName, listed: members.length > 0 })
      const records = after.filter((i) => i._et === 'Room' && i.data === roomName)
      expect(records.length).toBeLessThanOrEqual(1)
    }
  })
})
