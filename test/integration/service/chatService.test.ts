import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ChatDbError } from '../../../src/errors.js'
import { createJsonLogger } from '../../../src/log/jsonLogger.js'
import { type ChatServiceRepository, createChatService } from '../../../src/service/chatService.js'
import { useTestTable } from '../../support/dynamo.js'
import { createRecordingBroadcaster } from '../../support/recordingBroadcaster.js'

const t = useTestTable()
const broadcaster = createRecordingBroadcaster()
const lines: string[] = []
let service: ReturnType<typeof createChatService>
const NOW = Date.UTC(2026, 10, 25, 18)

beforeAll(() => {
  service = createChatService({
    repository: t.repository(),
    broadcaster,
    recentMessagesLimit: 2,
    clock: () => NOW,
    logger: createJsonLogger((line) => lines.push(line)),
  })
})
beforeEach(() => {
  broadcaster.clear()
  lines.length = 0
})

const subscribe = (connectionId: string, roomName: string, userName: string) =>
  service.subscribe({ connectionId }, { action: 'subscribe', roomName, userName })

describe('createChatService', () => {
  describe('connect', () => {
    it('accepts an API Gateway connection id and refuses one that cannot be a key', async () => {
      expect(await service.connect({ connectionId: 'Xk3a9cD1oAMCJzQ=' })).toEqual({ statusCode: 200 })
      expect(await service.connect({ connectionId: 'a|b' })).toEqual({ statusCode: 400 })
    })
  })

  describe('one user name on several connections', () => {
    it('announces the name when it first joins and when its last connection leaves', async () => {
      await subscribe('bob=', 'shared', 'bob')
      await subscribe('ada1=', 'shared', 'ada')
      await subscribe('ada2=', 'shared', 'ada')
      expect(broadcaster.framesFor('bob=')).toEqual([
        { type: 'subscribed', roomName: 'shared', users: ['bob'], messages: [] },
        { type: 'userSubscribed', roomName: 'shared', userName: 'ada' },
      ])
      expect(broadcaster.framesFor('ada1=').map((f) => f.type)).toEqual(['subscribed'])
      broadcaster.clear()
      expect(await service.disconnect({ connectionId: 'ada1=' })).toEqual({ statusCode: 200 })
      expect(broadcaster.framesFor('bob=')).toEqual([])
      expect(
        await service.unsubscribe({ connectionId: 'ada2=' }, { action: 'unsubscribe', roomName: 'shared' }),
      ).toEqual({
        statusCode: 200,
      })
      expect(broadcaster.framesFor('bob=')).toEqual([
        { type: 'userUnsubscribed', roomName: 'shared', userName: 'ada' },
      ])
      expect(broadcaster.framesFor('ada2=')).toEqual([{ type: 'unsubscribed', roomName: 'shared' }])
    })
  })

  describe('sendMessage', () => {
    it('uses the clock when the request has no time, and the state shows the newest `recentMessagesLimit`', async () => {
      await subscribe('c1=', 'timed', 'cy')
      for (const text of ['a', 'b', 'c']) {
        await service.sendMessage(
          { connectionId: 'c1=' },
          { action: 'sendMessage', roomName: 'timed', message: text },
        )
      }
      expect(broadcaster.framesFor('c1=').at(-1)).toEqual({
        type: 'newMessage',
        roomName: 'timed',
        message: { id: expect.any(String), userName: 'cy', message: 'c', time: NOW },
      })
      broadcaster.clear()
      await subscribe('c2=', 'timed', 'dee')
      const [state] = broadcaster.framesFor('c2=')
      expect(state?.type === 'subscribed' && state.messages).toHaveLength(2)
    })
  })

  describe('receive', () => {
    it('parses, validates and dispatches a raw frame', async () => {
      await service.receive(
        { connectionId: 'r1=' },
        '{"action":"subscribe","roomName":"raw","userName":"ray"}',
      )
      expect(broadcaster.framesFor('r1=')).toMatchObject([{ type: 'subscribed', roomName: 'raw' }])
    })
  })

  describe('failures', () => {
    const failing = (error: unknown): ChatServiceRepository => ({
      subscribe: async () => {
        throw error
      },
      unsubscribe: async () => {
        throw error
      },
      postMessage: async () => {
        throw error
      },
      removeConnection: async () => {
        throw error
      },
      activeRoomsPage: async () => {
        throw error
      },
      recentMessages: async () => [],
      markUnfinished: async () => {},
      markFinished: async () => {},
    })

    it('turns an unexpected error into a 500 frame without its text, and logs it as one JSON line', async () => {
      const broken = createChatService({
        repository: failing(
          new TypeError('Cannot read properties of undefined (reading "x")\n{"forged":true}'),
        ),
        broadcaster,
        logger: createJsonLogger((line) => lines.push(line)),
      })
      expect(await broken.listRooms({ connectionId: 'e1=' })).toEqual({ statusCode: 500 })
      expect(broadcaster.framesFor('e1=')).toEqual([
        {
          type: 'error',
          action: 'listRooms',
          statusCode: 500,
          error: 'Internal Server Error',
          message: 'the request could not be completed; try again',
        },
      ])
      expect(lines).toHaveLength(1)
      expect(lines[0]).not.toContain('\n')
      expect(JSON.parse(lines[0] as string)).toMatchObject({
        level: 'error',
        event: 'route.failed',
        route: 'listRooms',
        error: { name: 'TypeError' },
      })
    })

    it('answers a validation error from the repository with a 400', async () => {
      const broken = createChatService({
        repository: failing(new ChatDbError('validation.connectionId', 'connectionId must not contain "|"')),
        broadcaster,
      })
      expect(
        await broken.sendMessage(
          { connectionId: 'e2=' },
          { action: 'sendMessage', roomName: 'r', message: 'm' },
        ),
      ).toEqual({
        statusCode: 400,
      })
      expect(broadcaster.framesFor('e2=')).toMatchObject([{ statusCode: 400, action: 'sendMessage' }])
    })

    it('reports a failed $disconnect as a 500 and logs it', async () => {
      const broken = createChatService({
        repository: failing(new ChatDbError('store.unavailable', 'throttled')),
        broadcaster,
        logger: createJsonLogger((line) => lines.push(line)),
      })
      expect(await broken.disconnect({ connectionId: 'e3=' })).toEqual({ statusCode: 500 })
      expect(JSON.parse(lines[0] as string)).toMatchObject({
        route: '$disconnect',
        error: { code: 'store.unavailable' },
      })
    })
  })
})
