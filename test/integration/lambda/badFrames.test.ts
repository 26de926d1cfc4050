import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { badFrames } from '../../support/badFrames.js'
import { useTestTable } from '../../support/dynamo.js'
import { useRouter } from '../../support/routerHarness.js'

const t = useTestTable()
const h = useRouter(t)
let member: string

beforeAll(async () => {
  // A real member of "general", so frames that would be valid for it are refused for their form alone.
  member = h.newConnection()
  expect(await h.send(member, { action: 'subscribe', roomName: 'general', userName: 'ada' })).toBe(200)
})

beforeEach(() => {
  h.fake.clear()
  t.counter.reset()
})

describe('router', () => {
  describe('bad frames', () => {
    it('has at least 20 distinct ones to try', () => {
      expect(new Set(badFrames.map((frame) => frame.body)).size).toBeGreaterThanOrEqual(20)
    })

    it.each(badFrames)('answers $name with a 400 error frame and no DynamoDB request', async (bad) => {
      expect(await h.send(member, bad.body)).toBe(400)
      const frames = h.frames(member)
      expect(frames).toHaveLength(1)
      const [frame] = frames
      expect(frame).toEqual({
        type: 'error',
        ...(bad.action ? { action: bad.action } : {}),
        statusCode: 400,
        error: 'Bad Request',
        message: expect.stringMatching(bad.expect),
      })
      expect(t.counter.writes()).toBe(0)
      expect(t.counter.total()).toBe(0)
      // Nobody else hears of it.
      expect(h.fake.recipients()).toEqual([member])
    })
  })

  it('stored nothing for any of them', async () => {
    expect(await t.repository().recentMessages('general')).toEqual([])
    expect((await t.repository().connectionsInRoom('general')).map((s) => s.connectionId)).toEqual([member])
  })
})
