import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createChatRepository } from '../../../src/repository/chatRepository.js'
import { createChatService } from '../../../src/service/chatService.js'
import { newDocumentClient, useTestTable } from '../../support/dynamo.js'
import { failNthRequest } from '../../support/faults.js'
import { createRecordingBroadcaster } from '../../support/recordingBroadcaster.js'

/**
 * Hardening item 3: a failure after a write can always be finished by a retry. Each request a
 * subscribe or unsubscribe sends fails in turn (refused, or served with its answer lost), the
 * client retries once with no fault, and then the others must have heard of the change, the
 * caller must have its answer and the room must be listed iff it has subscribers.
 */
const t = useTestTable()
const silent = { error: () => {}, warn: () => {} }
// maxAttempts 1: the fault reaches the route instead of being retried away by the SDK;
// maxAttempts 3: a lost answer is retried by the SDK itself and the route sees no error.
const clients = { 1: newDocumentClient({ maxAttempts: 1 }), 3: newDocumentClient({ maxAttempts: 3 }) }
const broadcaster = createRecordingBroadcaster()
let seq = 0
const id = (name: string) => `${name}-${++seq}=`

afterAll(() => {
  for (const client of Object.values(clients)) client.destroy()
})

function serviceOn(attempts: 1 | 3) {
  const repository = createChatRepository({ documentClient: clients[attempts], tableName: t.tableName })
  return createChatService({ repository, broadcaster, logger: silent })
}
let clean: ReturnType<typeof createChatService>
beforeAll(() => {
  clean = createChatService({ repository: t.repository(), broadcaster, logger: silent })
})

const subscribe = (service: typeof clean, connectionId: string, roomName: string, userName: string) =>
  service.subscribe({ connectionId }, { action: 'subscribe', roomName, userName })
const unsubscribe = (service: typeof clean, connectionId: string, roomName: string) =>
  service.unsubscribe({ connectionId }, { action: 'unsubscribe', roomName })

async function listedIffSubscribed(roomName: string) {
  const repository = t.repository()
  const listed = (await repository.activeRooms()).some((r) => r.roomName === roomName)
  const { subscribers } = await repository.roomSnapshot(roomName)
  return { listed, subscribed: subscribers.length > 0 }
}

const framesOfType = (connectionId: string, type: string) =>
  broadcaster.framesFor(connectionId).filter((f) => f.type === type)

// Enough to pass every request of either route, transitions included (the rest meet no fault).
const REQUESTS = [1, 2, 3, 4, 5, 6, 7, 8]
const CASES = [
  { attempts: 1, fault: 'internal' },
  { attempts: 1, fault: 'lostResponse' },
  { attempts: 3, fault: 'lostResponse' },
] as const

describe.each(CASES)('with $fault faults and maxAttempts $attempts', ({ attempts, fault }) => {
  describe('subscribe, then a retry', () => {
    it.each(REQUESTS)(
      'announces the name and lists the room when request #%i fails (steady state)',
      async (n) => {
        const roomName = `sub-steady-${++seq}`
        const bob = id('bob')
        await subscribe(clean, bob, roomName, 'bob')
        const ada = id('ada')
        const injected = failNthRequest(clients[attempts], n, fault)
        const first = await subscribe(serviceOn(attempts), ada, roomName, 'ada')
        injected.stop()
        if (first.statusCode !== 200)
          expect(await subscribe(clean, ada, roomName, 'ada')).toEqual({ statusCode: 200 })
        expect(framesOfType(ada, 'subscribed').length).toBeGreaterThanOrEqual(1)
        expect(broadcaster.framesFor(ada).at(-1)).toMatchObject({ type: 'subscribed', users: ['ada', 'bob'] })
        expect(framesOfType(bob, 'userSubscribed')).toContainEqual({
          type: 'userSubscribed',
          roomName,
          userName: 'ada',
        })
        expect(await listedIffSubscribed(roomName)).toEqual({ listed: true, subscribed: true })
      },
    )

    it.each(REQUESTS)('creates and lists the room when request #%i fails (room created)', async (n) => {
      const roomName = `sub-new-${++seq}`
      const ada = id('ada')
      const injected = failNthRequest(clients[attempts], n, fault)
      const first = await subscribe(serviceOn(attempts), ada, roomName, 'ada')
      injected.stop()
      if (first.statusCode !== 200)
        expect(await subscribe(clean, ada, roomName, 'ada')).toEqual({ statusCode: 200 })
      expect(broadcaster.framesFor(ada).at(-1)).toMatchObject({ type: 'subscribed', users: ['ada'] })
      expect(await listedIffSubscribed(roomName)).toEqual({ listed: true, subscribed: true })
      // The room is announced once in the list: one record, whatever the retries did.
      const bob = id('bob')
      await subscribe(clean, bob, roomName, 'bob')
      expect(framesOfType(ada, 'userSubscribed')).toContainEqual({
        type: 'userSubscribed',
        roomName,
        userName: 'bob',
      })
    })
  })

  describe('unsubscribe, then a retry', () => {
    it.each(REQUESTS)(
      'announces the leave and keeps the room listed when request #%i fails (steady state)',
      async (n) => {
        const roomName = `unsub-steady-${++seq}`
        const [bob, ada] = [id('bob'), id('ada')]
        await subscribe(clean, bob, roomName, 'bob')
        await subscribe(clean, ada, roomName, 'ada')
        const injected = failNthRequest(clients[attempts], n, fault)
        const first = await unsubscribe(serviceOn(attempts), ada, roomName)
        injected.stop()
        if (first.statusCode !== 200)
          expect(await unsubscribe(clean, ada, roomName)).toEqual({ statusCode: 200 })
        expect(broadcaster.framesFor(ada).at(-1)).toEqual({ type: 'unsubscribed', roomName })
        expect(framesOfType(bob, 'userUnsubscribed')).toContainEqual({
          type: 'userUnsubscribed',
          roomName,
          userName: 'ada',
        })
        expect(await listedIffSubscribed(roomName)).toEqual({ listed: true, subscribed: true })
      },
    )

    it.each(REQUESTS)('unlists the emptied room when request #%i fails (room emptied)', async (n) => {
      const roomName = `unsub-empty-${++seq}`
      const ada = id('ada')
      await subscribe(clean, ada, roomName, 'ada')
      const injected = failNthRequest(clients[attempts], n, fault)
      const first = await unsubscribe(serviceOn(attempts), ada, roomName)
      injected.stop()
      if (first.statusCode !== 200)
        expect(await unsubscribe(clean, ada, roomName)).toEqual({ statusCode: 200 })
      expect(broadcaster.framesFor(ada).at(-1)).toEqual({ type: 'unsubscribed', roomName })
      expect(await listedIffSubscribed(roomName)).toEqual({ listed: false, subscribed: false })
    })
  })
})

describe('$disconnect', () => {
  it('still tells the other rooms when one room cannot be read after the delete', async () => {
    const rooms = [`dis-a-${++seq}`, `dis-b-${++seq}`]
    const [bob, ada] = [id('bob'), id('ada')]
    for (const roomName of rooms) {
      await subscribe(clean, bob, roomName, 'bob')
      await subscribe(clean, ada, roomName, 'ada')
    }
    // #1 the GSI query, #2 the BatchWriteItem, #3 and #4 one room Query each.
    const injected = failNthRequest(clients[1], 3, 'internal')
    expect(await serviceOn(1).disconnect({ connectionId: ada })).toEqual({ statusCode: 500 })
    injected.stop()
    expect(injected.failed()).toBe('Query')
    const told = framesOfType(bob, 'userUnsubscribed')
    expect(told).toHaveLength(1)
    expect(told[0]).toMatchObject({ userName: 'ada' })
    expect(rooms).toContain(told[0]?.type === 'userUnsubscribed' && told[0].roomName)
  })
})
