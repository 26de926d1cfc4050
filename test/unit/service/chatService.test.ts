import { beforeEach, describe, expect, it } from 'vitest'
import { ChatDbError } from '../../../src/errors.js'
import { createChatService, createJsonLogger } from '../../../src/service/index.js'
import { createMemoryChatRepository, type MemoryChatRepository } from '../../support/memoryChatRepository.js'
import { createRecordingBroadcaster } from '../../support/recordingBroadcaster.js'

const ADA = 'ada0000000000A='
const ADA2 = 'ada0000000000B='
const BOB = 'bob0000000000A='
const CEM = 'cem0000000000A='
const T0 = Date.UTC(2026, 10, 26, 12)

let clock: number
let repository: MemoryChatRepository
let broadcaster: ReturnType<typeof createRecordingBroadcaster>
let logged: { level: string; event: string }[]
let service: ReturnType<typeof createChatService>

beforeEach(() => {
  clock = T0
  repository = createMemoryChatRepository({ now: () => clock++ })
  broadcaster = createRecordingBroadcaster()
  logged = []
  service = createChatService({
    repository,
    broadcaster,
    recentMessagesLimit: 2,
    clock: () => clock,
    logger: createJsonLogger((line) => logged.push(JSON.parse(line))),
  })
})

const subscribe = (connectionId: string, roomName: string, userName: string) =>
  service.subscribe({ connectionId }, { action: 'subscribe', roomName, userName })
const unsubscribe = (connectionId: string, roomName: string) =>
  service.unsubscribe({ connectionId }, { action: 'unsubscribe', roomName })
const send = (connectionId: string, roomName: string, message: string, requestId?: string) =>
  service.sendMessage(
    { connectionId, requestId, requestTimeEpoch: T0 + 1_000 },
    { action: 'sendMessage', roomName, message },
  )
const frames = (connectionId: string) => broadcaster.framesFor(connectionId)
const types = (connectionId: string) => frames(connectionId).map((frame) => frame.type)

describe('src/service/chatService', () => {
  describe('subscribe', () => {
    it('answers subscribed with the users and the recent messages, and tells the others userSubscribed', async () => {
      expect(await subscribe(ADA, 'general', 'ada')).toEqual({ statusCode: 200 })
      expect(frames(ADA)).toEqual([{ type: 'subscribed', roomName: 'general', users: ['ada'], messages: [] }])
      await send(ADA, 'general', 'one', 'r1')
      await send(ADA, 'general', 'two', 'r2')
      await send(ADA, 'general', 'three', 'r3')
      broadcaster.clear()

      expect(await subscribe(BOB, 'general', 'bob')).toEqual({ statusCode: 200 })
      // recentMessagesLimit is 2: the newest two, oldest first.
      expect(frames(BOB)).toEqual([
        {
          type: 'subscribed',
          roomName: 'general',
          users: ['ada', 'bob'],
          messages: [
            { id: 'r2', userName: 'ada', message: 'two', time: T0 + 1_000 },
            { id: 'r3', userName: 'ada', message: 'three', time: T0 + 1_000 },
          ],
        },
      ])
      expect(frames(ADA)).toEqual([{ type: 'userSubscribed', roomName: 'general', userName: 'bob' }])
    })

    it('tells nobody else when the connection was already subscribed, or when its name already was', async () => {
      await subscribe(ADA, 'general', 'ada')
      await subscribe(BOB, 'general', 'bob')
      broadcaster.clear()
      expect(await subscribe(BOB, 'general', 'bob')).toEqual({ statusCode: 200 })
      expect(types(BOB)).toEqual(['subscribed'])
      expect(frames(ADA)).toEqual([])
      // A second connection of ada: the name is in the room already.
      expect(await subscribe(ADA2, 'general', 'ada')).toEqual({ statusCode: 200 })
      expect(frames(BOB)).toEqual([
        { type: 'subscribed', roomName: 'general', users: ['ada', 'bob'], messages: [] },
      ])
    })

    it('refuses a frame that does not validate with a 400 error frame and calls no repository method', async () => {
      const outcome = await service.receive(
        { connectionId: ADA },
        JSON.stringify({ action: 'subscribe', roomName: 'a|b', userName: 'ada' }),
      )
      expect(outcome).toEqual({ statusCode: 400 })
      expect(frames(ADA)).toEqual([
        expect.objectContaining({ type: 'error', statusCode: 400, action: 'subscribe' }),
      ])
      expect(repository.calls).toEqual([])
    })
  })

  describe('unsubscribe', () => {
    it('answers the leaver unsubscribed and tells the others userUnsubscribed, once', async () => {
      await subscribe(ADA, 'general', 'ada')
      await subscribe(BOB, 'general', 'bob')
      broadcaster.clear()
      expect(await unsubscribe(BOB, 'general')).toEqual({ statusCode: 200 })
      expect(frames(BOB)).toEqual([{ type: 'unsubscribed', roomName: 'general' }])
      expect(frames(ADA)).toEqual([{ type: 'userUnsubscribed', roomName: 'general', userName: 'bob' }])
      broadcaster.clear()
      // Leaving is idempotent: a repeat answers, and announces nothing.
      expect(await unsubscribe(BOB, 'general')).toEqual({ statusCode: 200 })
      expect(frames(BOB)).toEqual([{ type: 'unsubscribed', roomName: 'general' }])
      expect(frames(ADA)).toEqual([])
    })

    it('announces nothing while another connection holds the name', async () => {
      await subscribe(ADA, 'general', 'ada')
      await subscribe(ADA2, 'general', 'ada')
      await subscribe(BOB, 'general', 'bob')
      broadcaster.clear()
      await unsubscribe(ADA2, 'general')
      expect(frames(BOB)).toEqual([])
      await unsubscribe(ADA, 'general')
      expect(frames(BOB)).toEqual([{ type: 'userUnsubscribed', roomName: 'general', userName: 'ada' }])
    })
  })

  describe('sendMessage', () => {
    it('posts newMessage to every subscriber, the sender included, at the request time', async () => {
      await subscribe(ADA, 'general', 'ada')
      await subscribe(BOB, 'general', 'bob')
      await subscribe(CEM, 'elsewhere', 'cem')
      broadcaster.clear()
      expect(await send(ADA, 'general', 'hello', 'r1')).toEqual({ statusCode: 200 })
      const frame = {
        type: 'newMessage',
        roomName: 'general',
        message: { id: 'r1', userName: 'ada', message: 'hello', time: T0 + 1_000 },
      }
      expect(frames(ADA)).toEqual([frame])
      expect(frames(BOB)).toEqual([frame])
      expect(frames(CEM)).toEqual([])
    })

    it('stores a retried request once and posts it again', async () => {
      await subscribe(ADA, 'general', 'ada')
      broadcaster.clear()
      await send(ADA, 'general', 'hello', 'same-request')
      await send(ADA, 'general', 'hello', 'same-request')
      expect(types(ADA)).toEqual(['newMessage', 'newMessage'])
      // Both copies carry the stored message's id: the client drops the second.
      const [stored] = await repository.recentMessages('general')
      const ids = frames(ADA).map((frame) => frame.type === 'newMessage' && frame.message.id)
      expect(ids).toEqual([stored?.id, stored?.id])
      expect(await repository.recentMessages('general')).toHaveLength(1)
      expect(logged).toEqual([expect.objectContaining({ level: 'warn', event: 'message.repeated' })])
    })

    it('refuses a connection that is not subscribed with a 400 error frame, posting nothing to the room', async () => {
      await subscribe(BOB, 'general', 'bob')
      broadcaster.clear()
      expect(await send(ADA, 'general', 'hello')).toEqual({ statusCode: 400 })
      expect(frames(ADA)).toEqual([
        expect.objectContaining({ type: 'error', statusCode: 400, action: 'sendMessage' }),
      ])
      expect(frames(BOB)).toEqual([])
      expect(await repository.recentMessages('general')).toEqual([])
      // A client's mistake is not logged as our failure.
      expect(logged).toEqual([])
    })
  })

  describe('listRooms', () => {
    it('answers roomList with the active rooms in creation order', async () => {
      await subscribe(ADA, 'zeta', 'ada')
      await subscribe(ADA, 'alpha', 'ada')
      await subscribe(BOB, 'emptied', 'bob')
      await unsubscribe(BOB, 'emptied')
      broadcaster.clear()
      expect(await service.listRooms({ connectionId: CEM })).toEqual({ statusCode: 200 })
      expect(frames(CEM)).toEqual([
        {
          type: 'roomList',
          rooms: [
            expect.objectContaining({ roomName: 'zeta' }),
            expect.objectContaining({ roomName: 'alpha' }),
          ],
        },
      ])
    })
  })

  describe('disconnect', () => {
    it("tells each room's remaining subscribers userUnsubscribed, unless another connection keeps the name", async () => {
      await subscribe(ADA, 'general', 'ada')
      await subscribe(ADA, 'random', 'ada')
      await subscribe(ADA2, 'random', 'ada')
      await subscribe(BOB, 'general', 'bob')
      await subscribe(CEM, 'random', 'cem')
      broadcaster.clear()
      expect(await service.disconnect({ connectionId: ADA })).toEqual({ statusCode: 200 })
      expect(frames(BOB)).toEqual([{ type: 'userUnsubscribed', roomName: 'general', userName: 'ada' }])
      // ada is still in 'random' through her second connection.
      expect(frames(CEM)).toEqual([])
      expect(frames(ADA2)).toEqual([])
      expect(frames(ADA)).toEqual([])
    })

    it('answers 500 and logs route.failed when the repository fails', async () => {
      await subscribe(ADA, 'general', 'ada')
      await subscribe(BOB, 'general', 'bob')
      broadcaster.clear()
      repository.failNext('removeConnection', new ChatDbError('store.unavailable', 'DynamoDB did not answer'))
      expect(await service.disconnect({ connectionId: ADA })).toEqual({ statusCode: 500 })
      expect(frames(BOB)).toEqual([])
      expect(logged).toEqual([
        expect.objectContaining({ level: 'error', event: 'route.failed', route: '$disconnect' }),
      ])
    })
  })

  describe('a repository failure', () => {
    it('answers the caller a 500 error frame of its action and logs route.failed', async () => {
      repository.failNext('activeRoomsPage', new Error('socket hang up'))
      expect(await service.listRooms({ connectionId: ADA })).toEqual({ statusCode: 500 })
      expect(frames(ADA)).toEqual([
        expect.objectContaining({ type: 'error', statusCode: 500, action: 'listRooms' }),
      ])
      expect(logged).toEqual([
        expect.objectContaining({
          level: 'error',
          event: 'route.failed',
          route: 'listRooms',
          connectionId: ADA,
        }),
      ])
    })

    it('of a subscribe marks the subscription unfinished; the retry announces the name and clears the mark', async () => {
      await subscribe(BOB, 'general', 'bob')
      broadcaster.clear()
      // The subscription is written; the read of the recent messages fails.
      repository.failNext('recentMessages', new ChatDbError('store.unavailable', 'DynamoDB did not answer'))
      expect(await subscribe(ADA, 'general', 'ada')).toEqual({ statusCode: 500 })
      expect(frames(ADA)).toEqual([
        expect.objectContaining({ type: 'error', statusCode: 500, action: 'subscribe' }),
      ])
      expect(frames(BOB)).toEqual([])
      expect(repository.unfinishedMark('general', ADA)).toBe(true)
      broadcaster.clear()

      expect(await subscribe(ADA, 'general', 'ada')).toEqual({ statusCode: 200 })
      expect(frames(ADA)).toEqual([
        { type: 'subscribed', roomName: 'general', users: ['ada', 'bob'], messages: [] },
      ])
      expect(frames(BOB)).toEqual([{ type: 'userSubscribed', roomName: 'general', userName: 'ada' }])
      expect(repository.unfinishedMark('general', ADA)).toBe(false)
      broadcaster.clear()
      // Finished: a further repeat announces nothing.
      await subscribe(ADA, 'general', 'ada')
      expect(frames(BOB)).toEqual([])
    })

    it('of an unsubscribe after its write marks the departure unfinished; the retry announces the leave', async () => {
      await subscribe(ADA, 'general', 'ada')
      await subscribe(BOB, 'general', 'bob')
      broadcaster.clear()
      repository.failNext('unsubscribe', new Error('connection reset'), { afterWork: true })
      expect(await unsubscribe(BOB, 'general')).toEqual({ statusCode: 500 })
      expect(frames(BOB)).toEqual([
        expect.objectContaining({ type: 'error', statusCode: 500, action: 'unsubscribe' }),
      ])
      expect(frames(ADA)).toEqual([])
      expect(repository.unfinishedMark('general', BOB)).toBe(true)
      broadcaster.clear()

      expect(await unsubscribe(BOB, 'general')).toEqual({ statusCode: 200 })
      expect(frames(BOB)).toEqual([{ type: 'unsubscribed', roomName: 'general' }])
      expect(frames(ADA)).toEqual([{ type: 'userUnsubscribed', roomName: 'general', userName: 'bob' }])
    })

    it('of a client mistake (a full room, a bad name) is a 400 and leaves nothing unfinished', async () => {
      repository.failNext('subscribe', new ChatDbError('limit.roomFull', 'full'))
      expect(await subscribe(ADA, 'general', 'ada')).toEqual({ statusCode: 400 })
      expect(frames(ADA)).toEqual([
        expect.objectContaining({ type: 'error', statusCode: 400, action: 'subscribe' }),
      ])
      expect(repository.calls).not.toContain('markUnfinished')
      expect(logged).toEqual([])
    })
  })
})
