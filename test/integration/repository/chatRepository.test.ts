import assert from 'node:assert/strict'
import { PutCommand } from '@aws-sdk/lib-dynamodb'
import { beforeEach, describe, expect, it } from 'vitest'
import { ChatDbError } from '../../../src/errors.js'
import { subscriptionKey } from '../../../src/keys.js'
import { useTestTable } from '../../support/dynamo.js'
import { injectUnprocessedItems } from '../../support/faults.js'
import { scanAll } from '../../support/scan.js'

const t = useTestTable()

let roomSeq = 0
/** A room name no other test in this file uses. */
const freshRoom = (label = 'room') => `${label}-${++roomSeq}`

async function expectChatDbError(promise: Promise<unknown>, code: string) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(ChatDbError)
  expect((error as ChatDbError).code).toBe(code)
}

describe('createChatRepository', () => {
  beforeEach(() => t.counter.reset())

  describe('subscribe', () => {
    it('creates and lists a new room, in 3 requests plus 4 for the creation', async () => {
      const repo = t.repository()
      const roomName = freshRoom()
      t.counter.reset()
      const result = await repo.subscribe({ roomName, connectionId: 'c1', userName: 'ada' })
      expect(result).toMatchObject({ subscribed: true, userName: 'ada', transition: 'created' })
      assert(result.layout === 'small')
      expect(result.subscribers.map((s) => s.connectionId)).toEqual(['c1'])
      // Claim, put, delete, and the room read again after the claim.
      expect(t.counter.counts()).toEqual({ PutItem: 3, Query: 3, DeleteItem: 1 })
      expect((await repo.activeRooms()).map((r) => r.roomName)).toContain(roomName)
    })

    it('costs a GSI count, a PutItem and a Query when the room is already active', async () => {
      const repo = t.repository()
      const roomName = freshRoom()
      await repo.subscribe({ roomName, connectionId: 'c1', userName: 'ada' })
      t.counter.reset()
      const result = await repo.subscribe({ roomName, connectionId: 'c2', userName: 'bob' })
      expect(result.transition).toBeUndefined()
      assert(result.layout === 'small')
      expect(result.subscribers.map((s) => s.userName).sort()).toEqual(['ada', 'bob'])
      expect(t.counter.counts()).toEqual({ PutItem: 1, Query: 2 })
    })

    it('is idempotent and keeps the user name bound by the first subscribe', async () => {
      const repo = t.repository()
      const roomName = freshRoom()
      await repo.subscribe({ roomName, connectionId: 'c1', userName: 'ada' })
      const again = await repo.subscribe({ roomName, connectionId: 'c1', userName: 'mallory' })
      expect(again).toMatchObject({ subscribed: false, userName: 'ada', transition: undefined })
      assert(again.layout === 'small')
      expect(again.subscribers).toHaveLength(1)
      expect(await repo.userNameFor(roomName, 'c1')).toBe('ada')
    })

    it('refuses a connection already in the maximum number of rooms, writing nothing', async () => {
      const repo = t.repository({ maxRoomsPerConnection: 3 })
      const rooms = [freshRoom(), freshRoom(), freshRoom()]
      for (const roomName of rooms) await repo.subscribe({ roomName, connectionId: 'busy', userName: 'ada' })
      t.counter.reset()
      await expectChatDbError(
        repo.subscribe({ roomName: freshRoom(), connectionId: 'busy', userName: 'ada' }),
        'limit.roomsPerConnection',
      )
      expect(t.counter.writes()).toBe(0)
      // Subscribing again to a room it is in stays idempotent at the cap.
      expect(
        (await repo.subscribe({ roomName: rooms[0] as string, connectionId: 'busy', userName: 'ada' }))
          .subscribed,
      ).toBe(false)
      expect(await repo.roomsOfConnection('busy')).toHaveLength(3)
    })

    it('refuses a subscriber beyond the room maximum and takes its write back', async () => {
      const repo = t.repository({ maxSubscribersPerRoom: 2 })
      const roomName = freshRoom('full')
      await repo.subscribe({ roomName, connectionId: 'f1', userName: 'ada' })
      await repo.subscribe({ roomName, connectionId: 'f2', userName: 'bob' })
      await expectChatDbError(
        repo.subscribe({ roomName, connectionId: 'f3', userName: 'cy' }),
        'limit.roomFull',
      )
      expect((await repo.connectionsInRoom(roomName)).map((c) => c.connectionId)).toEqual(['f1', 'f2'])
      expect((await repo.activeRooms()).map((r) => r.roomName)).toContain(roomName)
    })

    it('rejects invalid names with a ChatDbError before any request', async () => {
      const repo = t.repository()
      await expectChatDbError(
        repo.subscribe({ roomName: 'a|b', connectionId: 'c', userName: 'u' }),
        'validation.roomName',
      )
      await expectChatDbError(
        repo.subscribe({ roomName: 'r', connectionId: 'c', userName: 'x'.repeat(51) }),
        'validation.userName',
      )
      await expectChatDbError(
        repo.subscribe({ roomName: '', connectionId: 'c', userName: 'u' }),
        'validation.roomName',
      )
      await expectChatDbError(
        repo.subscribe({ roomName: 'r', connectionId: 'c', userName: 'bell\u0007' }),
        'validation.userName',
      )
      await expectChatDbError(
        repo.subscribe({ roomName: 'r', connectionId: 'a|b', userName: 'u' }),
        'validation.connectionId',
      )
      expect(t.counter.total()).toBe(0)
    })
  })

  describe('connectionsInRoom', () => {
    it('follows LastEvaluatedKey across pages of large items', async () => {
      // Pages cut by Limit as well as by 1 MB: where each engine cuts a 1 MB page differs
      // (dynalite counts these items to two pages, DynamoDB Local to one), Limit is the same.
      const repo = t.repository({ pageSize: 2 })
      const roomName = freshRoom('big')
      await repo.subscribe({ roomName, connectionId: 'c00', userName: 'ada' })
      // Subscriptions padded by another writer to 300 KB each: four of them exceed a 1 MB page.
      const padding = 'p'.repeat(300 * 1024)
      for (let i = 1; i <= 4; i++) {
        await t.documentClient.send(
          new PutCommand({
            TableName: t.tableName,
            Item: {
              ...subscriptionKey(roomName, `c0${i}`),
              _et: 'Subscription',
              data: `c0${i}`,
              roomName,
              userName: `user${i}`,
              subscribedAt: i,
              padding,
            },
          }),
        )
      }
      t.counter.reset()
      const connections = await repo.connectionsInRoom(roomName)
      expect(connections.map((c) => c.connectionId)).toEqual(['c00', 'c01', 'c02', 'c03', 'c04'])
      expect(t.counter.counts().Query).toBeGreaterThan(1)
    })

    it('pages with a configured page size and still finds every subscriber', async () => {
      const repo = t.repository({ pageSize: 10 })
      const roomName = freshRoom('paged')
      for (let i = 0; i < 35; i++) {
        await repo.subscribe({
          roomName,
          connectionId: `conn${String(i).padStart(2, '0')}`,
          userName: `u${i % 7}`,
        })
      }
      t.counter.reset()
      expect(await repo.connectionsInRoom(roomName)).toHaveLength(35)
      // 35 subscriptions + the room's guard item in pages of 10.
      expect(t.counter.counts()).toEqual({ Query: 4 })
      expect(await repo.userNamesInRoom(roomName)).toEqual(['u0', 'u1', 'u2', 'u3', 'u4', 'u5', 'u6'])
    })
  })

  describe('userNameFor and userNamesInRoom', () => {
    it('answers per connection and lists each user name once, sorted', async () => {
      const repo = t.repository()
      const roomName = freshRoom()
      await repo.subscribe({ roomName, connectionId: 'c1', userName: 'zoe' })
      await repo.subscribe({ roomName, connectionId: 'c2', userName: 'ada' })
      await repo.subscribe({ roomName, connectionId: 'c3', userName: 'zoe' })
      expect(await repo.userNameFor(roomName, 'c3')).toBe('zoe')
      expect(await repo.userNameFor(roomName, 'nobody')).toBeUndefined()
      expect(await repo.userNamesInRoom(roomName)).toEqual(['ada', 'zoe'])
    })
  })

  describe('roomsOfConnection', () => {
    it('lists the rooms of a connection through the GSI, ignoring other entities under the same value', async () => {
      const repo = t.repository()
      const a = freshRoom()
      const b = freshRoom()
      await repo.subscribe({ roomName: a, connectionId: 'shared-id', userName: 'ada' })
      await repo.subscribe({ roomName: b, connectionId: 'shared-id', userName: 'ada' })
      // A user and a room called like the connection id put items in the same GSI partition.
      await repo.subscribe({ roomName: 'shared-id', connectionId: 'other', userName: 'shared-id' })
      await repo.postMessage({ roomName: 'shared-id', connectionId: 'other', message: 'hello' })
      const rooms = await repo.roomsOfConnection('shared-id')
      expect(rooms.map((r) => r.roomName).sort()).toEqual([a, b].sort())
    })
  })

  describe('removeConnection', () => {
    it('removes a connection from 60 rooms with ceil(60/25) batch writes and leaves nothing behind', async () => {
      const repo = t.repository()
      const rooms = Array.from({ length: 60 }, () => freshRoom('many'))
      for (const roomName of rooms) {
        await repo.subscribe({ roomName, connectionId: 'leaver', userName: 'ada' })
        await repo.subscribe({ roomName, connectionId: 'stayer', userName: 'bob' })
      }
      t.counter.reset()
      const removed = await repo.removeConnection('leaver')
      expect(removed.map((r) => r.roomName).sort()).toEqual([...rooms].sort())
      expect(
        removed.every((r) => r.userName === 'ada' && r.layout === 'small' && r.subscribers.length === 1),
      ).toBe(true)
      // 1 GSI query + 3 batch writes + 1 query per room; no room changed state.
      expect(t.counter.counts()).toEqual({ Query: 61, BatchWriteItem: 3 })
      expect(await repo.roomsOfConnection('leaver')).toEqual([])
      const items = await scanAll(t.documentClient, t.tableName)
      expect(items.filter((i) => i.data === 'leaver')).toEqual([])
      const listed = new Set((await repo.activeRooms()).map((r) => r.roomName))
      expect(rooms.every((r) => listed.has(r))).toBe(true)
    })

    it('unlists the rooms it empties', async () => {
      const repo = t.repository()
      const rooms = [freshRoom(), freshRoom(), freshRoom()]
      for (const roomName of rooms) await repo.subscribe({ roomName, connectionId: 'solo', userName: 'ada' })
      t.counter.reset()
      const removed = await repo.removeConnection('solo')
      expect(removed.map((r) => (r.layout === 'unknown' ? r.error : r.transition))).toEqual([
        'emptied',
        'emptied',
        'emptied',
      ])
      // 1 GSI query + 1 batch + per room: 1 query, and claim + put + delete + the room read again
      // for the transition.
      expect(t.counter.counts()).toEqual({ Query: 7, BatchWriteItem: 1, PutItem: 6, DeleteItem: 3 })
      const listed = (await repo.activeRooms()).map((r) => r.roomName)
      expect(rooms.some((r) => listed.includes(r))).toBe(false)
    })

    it('resends UnprocessedItems until every subscription is gone', async () => {
      const repo = t.repository()
      const rooms = Array.from({ length: 30 }, () => freshRoom('unprocessed'))
      for (const roomName of rooms) {
        await repo.subscribe({ roomName, connectionId: 'flaky', userName: 'ada' })
        await repo.subscribe({ roomName, connectionId: 'keeper', userName: 'bob' })
      }
      // Every BatchWriteItem of more than one request leaves half of them unprocessed:
      // 25 -> 12 -> 6 -> 3 -> 1 -> done (5 calls) and 5 -> 2 -> 1 -> done (3 calls).
      const faults = injectUnprocessedItems(t.documentClient, (n) => (n > 1 ? Math.floor(n / 2) : 0))
      t.counter.reset()
      await repo.removeConnection('flaky')
      expect(faults.injected()).toBe(12 + 6 + 3 + 1 + 2 + 1)
      expect(t.counter.counts().BatchWriteItem).toBe(8)
      expect(await repo.roomsOfConnection('flaky')).toEqual([])
      injectUnprocessedItems(t.documentClient, () => 0)
    })
  })

  describe('recentMessages', () => {
    it('keeps two messages posted in the same millisecond', async () => {
      const repo = t.repository({ now: () => 1_800_000_000_000 })
      const roomName = freshRoom()
      await repo.subscribe({ roomName, connectionId: 'c1', userName: 'ada' })
      await repo.postMessage({ roomName, connectionId: 'c1', message: 'one' })
      await repo.postMessage({ roomName, connectionId: 'c1', message: 'two' })
      const messages = await repo.recentMessages(roomName)
      expect(messages.map((m) => m.message).sort()).toEqual(['one', 'two'])
      expect(messages.every((m) => m.time === 1_800_000_000_000)).toBe(true)
    })

    it('returns the newest x oldest first, in one Query', async () => {
      let clock = 1_800_000_000_000
      const repo = t.repository({ now: () => clock++ })
      const roomName = freshRoom()
      await repo.subscribe({ roomName, connectionId: 'c1', userName: 'ada' })
      for (let i = 0; i < 10; i++) await repo.postMessage({ roomName, connectionId: 'c1', message: `m${i}` })
      t.counter.reset()
      const recent = await repo.recentMessages(roomName, { limit: 3 })
      expect(recent.map((m) => m.message)).toEqual(['m7', 'm8', 'm9'])
      expect(t.counter.counts()).toEqual({ Query: 1 })
      expect((await repo.recentMessages(roomName)).map((m) => m.message)).toHaveLength(10)
    })

    it('rejects a limit that is not a positive integer', async () => {
      await expectChatDbError(t.repository().recentMessages('r', { limit: 0 }), 'validation.option')
    })
  })

  describe('postMessage', () => {
    it('stores a message in a Query and a PutItem and returns every subscriber as a target', async () => {
      const repo = t.repository()
      const roomName = freshRoom()
      await repo.subscribe({ roomName, connectionId: 'c1', userName: 'ada' })
      await repo.subscribe({ roomName, connectionId: 'c2', userName: 'bob' })
      t.counter.reset()
      const result = await repo.postMessage({ roomName, connectionId: 'c2', message: 'hi | there' })
      expect(t.counter.counts()).toEqual({ Query: 1, PutItem: 1 })
      expect(result.message).toMatchObject({
        roomName,
        userName: 'bob',
        connectionId: 'c2',
        message: 'hi | there',
      })
      assert(result.layout === 'small')
      expect(result.recipients.map((r) => r.connectionId)).toEqual(['c1', 'c2'])
    })

    it('refuses a connection that is not subscribed, writing nothing', async () => {
      const repo = t.repository()
      const roomName = freshRoom()
      await repo.subscribe({ roomName, connectionId: 'member', userName: 'ada' })
      t.counter.reset()
      await expectChatDbError(
        repo.postMessage({ roomName, connectionId: 'stranger', message: 'let me in' }),
        'access.notSubscribed',
      )
      expect(t.counter.writes()).toBe(0)
      expect(await repo.recentMessages(roomName)).toEqual([])
    })

    it('stores a retried request once when it carries the same id and time', async () => {
      const repo = t.repository()
      const roomName = freshRoom()
      await repo.subscribe({ roomName, connectionId: 'c1', userName: 'ada' })
      const request = { roomName, connectionId: 'c1', message: 'once', id: 'req-1', time: 1_800_000_000_000 }
      expect((await repo.postMessage(request)).stored).toBe(true)
      expect((await repo.postMessage(request)).stored).toBe(false)
      expect(await repo.recentMessages(roomName)).toHaveLength(1)
    })

    it('gives new messages an expiresAt (epoch seconds) when a retention is configured', async () => {
      const repo = t.repository({ messageRetentionDays: 30 })
      const roomName = freshRoom()
      await repo.subscribe({ roomName, connectionId: 'c1', userName: 'ada' })
      const { message } = await repo.postMessage({
        roomName,
        connectionId: 'c1',
        message: 'short-lived',
        time: 1_800_000_000_000,
      })
      const stored = (await scanAll(t.documentClient, t.tableName)).find(
        (i) => i._et === 'Message' && i.id === message.id,
      )
      expect(stored?.expiresAt).toBe(1_800_000_000 + 30 * 86_400)
      const kept = await t.repository().postMessage({ roomName, connectionId: 'c1', message: 'forever' })
      const storedKept = (await scanAll(t.documentClient, t.tableName)).find((i) => i.id === kept.message.id)
      expect(storedKept).not.toHaveProperty('expiresAt')
    })

    it('rejects invalid text before any request', async () => {
      const repo = t.repository()
      await expectChatDbError(
        repo.postMessage({ roomName: 'r', connectionId: 'c', message: 'm'.repeat(4097) }),
        'validation.message',
      )
      await expectChatDbError(
        repo.postMessage({ roomName: 'r', connectionId: 'c', message: '' }),
        'validation.message',
      )
      await expectChatDbError(
        repo.postMessage({ roomName: 'r', connectionId: 'c', message: 'x', id: 'has|bar' }),
        'validation.option',
      )
      expect(t.counter.total()).toBe(0)
    })
  })

  describe('historyOfUser', () => {
    it('groups by room and orders by time, with nothing of other users or entities sharing the name', async () => {
      let clock = 1_800_000_100_000
      const repo = t.repository({ now: () => (clock += 10) })
      // A room called "lobby", a user called "lobby", a user called "true" (like the rooms' sk prefix),
      // and a connection id that is also "lobby": all of them land in the GSI partition "lobby" or "true".
      await repo.subscribe({ roomName: 'lobby', connectionId: 'lobby', userName: 'lobby' })
      await repo.subscribe({ roomName: 'lobby', connectionId: 'c-true', userName: 'true' })
      await repo.subscribe({ roomName: 'true', connectionId: 'c-true', userName: 'true' })
      await repo.subscribe({ roomName: 'true', connectionId: 'lobby', userName: 'lobby' })
      await repo.subscribe({ roomName: 'attic', connectionId: 'lobby', userName: 'lobby' })
      const say = (roomName: string, connectionId: string, message: string) =>
        repo.postMessage({ roomName, connectionId, message })
      await say('true', 'lobby', 'l1')
      await say('lobby', 'c-true', 't1')
      await say('lobby', 'lobby', 'l2')
      await say('attic', 'lobby', 'l3')
      await say('true', 'c-true', 't2')
      await say('true', 'lobby', 'l4')

      const history = await repo.historyOfUser('lobby')
      expect(history.map((g) => [g.roomName, g.messages.map((m) => m.message)])).toEqual([
        ['attic', ['l3']],
        ['lobby', ['l2']],
        ['true', ['l1', 'l4']],
      ])
      expect(history.flatMap((g) => g.messages).every((m) => m.userName === 'lobby')).toBe(true)
      const ofTrue = await repo.historyOfUser('true')
      expect(ofTrue.map((g) => [g.roomName, g.messages.map((m) => m.message)])).toEqual([
        ['lobby', ['t1']],
        ['true', ['t2']],
      ])
      expect((await repo.historyOfUser('lobby', { roomName: 'true' })).map((g) => g.roomName)).toEqual([
        'true',
      ])
    })
  })

  describe('activeRooms', () => {
    it('lists rooms in creation order, two created in the same millisecond included, in one Query', async () => {
      const fixed = 1_700_000_000_000
      const repo = t.repository({ now: () => fixed })
      const first = freshRoom('same-ms')
      const second = freshRoom('same-ms')
      await Promise.all([
        repo.subscribe({ roomName: first, connectionId: 'x1', userName: 'ada' }),
        repo.subscribe({ roomName: second, connectionId: 'x2', userName: 'bob' }),
      ])
      t.counter.reset()
      const rooms = await repo.activeRooms()
      expect(t.counter.counts()).toEqual({ Query: 1 })
      expect(
        rooms
          .filter((r) => r.createdAt === fixed)
          .map((r) => r.roomName)
          .sort(),
      ).toEqual([first, second].sort())
      const createdAts = rooms.map((r) => r.createdAt)
      expect([...createdAts].sort((a, b) => a - b)).toEqual(createdAts)
    })
  })

  describe('unsubscribe', () => {
    it('costs a DeleteItem and a Query while others remain', async () => {
      const repo = t.repository()
      const roomName = freshRoom()
      await repo.subscribe({ roomName, connectionId: 'c1', userName: 'ada' })
      await repo.subscribe({ roomName, connectionId: 'c2', userName: 'bob' })
      t.counter.reset()
      const result = await repo.unsubscribe({ roomName, connectionId: 'c1' })
      expect(result).toMatchObject({ unsubscribed: true, userName: 'ada', transition: undefined })
      assert(result.layout === 'small')
      expect(result.subscribers.map((s) => s.connectionId)).toEqual(['c2'])
      expect(t.counter.counts()).toEqual({ UpdateItem: 1, Query: 1 })
    })

    it('keeps a departure a retry can learn the name from, which no reader takes for a subscriber', async () => {
      const repo = t.repository({ maxRoomsPerConnection: 1 })
      const roomName = freshRoom()
      await repo.subscribe({ roomName, connectionId: 'dep1', userName: 'ada' })
      await repo.subscribe({ roomName, connectionId: 'dep2', userName: 'bob' })
      await repo.unsubscribe({ roomName, connectionId: 'dep1', attempt: 'first' })
      const [item] = (await scanAll(t.documentClient, t.tableName)).filter(
        (i) => i.pk === subscriptionKey(roomName, 'dep1').pk && i.sk === subscriptionKey(roomName, 'dep1').sk,
      )
      expect(item).toMatchObject({ _et: 'Departure', userName: 'ada', data: 'dep1', attempt: 'first' })
      expect(await repo.userNameFor(roomName, 'dep1')).toBeUndefined()
      expect(await repo.userNamesInRoom(roomName)).toEqual(['bob'])
      expect(await repo.roomsOfConnection('dep1')).toEqual([])
      // A repeat finds the finished departure: nothing to tell.
      expect(await repo.unsubscribe({ roomName, connectionId: 'dep1' })).toMatchObject({
        unsubscribed: false,
        userName: undefined,
      })
      // A departure holds no place under the cap (1 room): at the cap, coming back is refused.
      const other = freshRoom()
      await repo.subscribe({ roomName: other, connectionId: 'dep1', userName: 'ada' })
      await expectChatDbError(
        repo.subscribe({ roomName, connectionId: 'dep1', userName: 'ada' }),
        'limit.roomsPerConnection',
      )
      await repo.unsubscribe({ roomName: other, connectionId: 'dep1' })
      // Subscribing again overwrites the departure.
      const back = await repo.subscribe({ roomName, connectionId: 'dep1', userName: 'ada' })
      expect(back).toMatchObject({ subscribed: true, userName: 'ada' })
      expect(await repo.userNameFor(roomName, 'dep1')).toBe('ada')
    })

    it('reports a leave as its own when the departure carries its attempt', async () => {
      const repo = t.repository()
      const roomName = freshRoom()
      await repo.subscribe({ roomName, connectionId: 'own1', userName: 'ada' })
      await repo.unsubscribe({ roomName, connectionId: 'own1', attempt: 'same' })
      expect(await repo.unsubscribe({ roomName, connectionId: 'own1', attempt: 'same' })).toMatchObject({
        unsubscribed: true,
        userName: 'ada',
      })
    })

    it('finishes a leave whose request failed: the departure marked unfinished', async () => {
      const repo = t.repository()
      const roomName = freshRoom()
      await repo.subscribe({ roomName, connectionId: 'unf1', userName: 'ada' })
      await repo.unsubscribe({ roomName, connectionId: 'unf1' })
      await repo.markUnfinished({ roomName, connectionId: 'unf1', of: 'departure' })
      expect(await repo.unsubscribe({ roomName, connectionId: 'unf1' })).toMatchObject({
        unsubscribed: true,
        userName: 'ada',
      })
      // The retry's own write cleared the mark: a further repeat tells nobody.
      expect(await repo.unsubscribe({ roomName, connectionId: 'unf1' })).toMatchObject({
        unsubscribed: false,
      })
    })

    it('is deleted with the connection at removeConnection', async () => {
      const repo = t.repository()
      const [left, kept] = [freshRoom(), freshRoom()]
      await repo.subscribe({ roomName: left, connectionId: 'gone1', userName: 'ada' })
      await repo.subscribe({ roomName: kept, connectionId: 'gone1', userName: 'ada' })
      await repo.unsubscribe({ roomName: left, connectionId: 'gone1' })
      const removed = await repo.removeConnection('gone1')
      expect(removed.map((r) => r.roomName)).toEqual([kept])
      const items = await scanAll(t.documentClient, t.tableName)
      expect(items.filter((i) => i.data === 'gone1')).toEqual([])
    })

    it('unlists an emptied room and lists it again, in its creation place, when someone returns', async () => {
      let clock = 1_750_000_000_000
      const repo = t.repository({ now: () => clock++ })
      const roomName = freshRoom()
      await repo.subscribe({ roomName, connectionId: 'c1', userName: 'ada' })
      const createdAt = (await repo.activeRooms()).find((r) => r.roomName === roomName)?.createdAt
      t.counter.reset()
      const left = await repo.unsubscribe({ roomName, connectionId: 'c1' })
      expect(left.transition).toBe('emptied')
      expect(t.counter.total()).toBeLessThanOrEqual(2 + 4)
      expect((await repo.activeRooms()).map((r) => r.roomName)).not.toContain(roomName)

      t.counter.reset()
      const back = await repo.subscribe({ roomName, connectionId: 'c2', userName: 'bob' })
      expect(back.transition).toBe('reactivated')
      expect(t.counter.total()).toBeLessThanOrEqual(3 + 4)
      expect((await repo.activeRooms()).find((r) => r.roomName === roomName)?.createdAt).toBe(createdAt)
      const records = (await scanAll(t.documentClient, t.tableName)).filter(
        (i) => i.pk === 'Room' && i.data === roomName,
      )
      expect(records).toHaveLength(1)
    })

    it('answers unsubscribed: false for a connection that was not subscribed and creates nothing', async () => {
      const repo = t.repository()
      const roomName = freshRoom('never')
      const result = await repo.unsubscribe({ roomName, connectionId: 'ghost' })
      expect(result).toMatchObject({ unsubscribed: false, userName: undefined, transition: undefined })
      const items = await scanAll(t.documentClient, t.tableName)
      expect(items.filter((i) => String(i.pk).endsWith(roomName) || i.data === roomName)).toEqual([])
    })
  })
})
