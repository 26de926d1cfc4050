import { beforeAll, describe, expect, it } from 'vitest'
import type { ServerFrame } from '../../../src/protocol/frames.js'
import { createChatService } from '../../../src/service/chatService.js'
import { useTestTable } from '../../support/dynamo.js'
import { createRecordingBroadcaster } from '../../support/recordingBroadcaster.js'

/**
 * Hardening item 4: one user name joining or leaving through two connections at the same
 * instant is announced to the room's others at least once, never zero times.
 */
const t = useTestTable()
const broadcaster = createRecordingBroadcaster()
let service: ReturnType<typeof createChatService>
beforeAll(() => {
  service = createChatService({
    repository: t.repository(),
    broadcaster,
    logger: { error: () => {}, warn: () => {} },
  })
})

const TRIALS = Array.from({ length: 30 }, (_, i) => i + 1)
const presence = (connectionId: string, type: ServerFrame['type'], userName: string) =>
  broadcaster
    .framesFor(connectionId)
    .filter((f) => f.type === type && 'userName' in f && f.userName === userName).length

describe('presence of one user name on two connections at once', () => {
  const counts = { joins: [] as number[], leaves: [] as number[] }

  it.each(TRIALS)('announces the name joining and leaving at least once (trial %i)', async (trial) => {
    const roomName = `twins-${trial}`
    const observer = `obs-${trial}=`
    const [one, two] = [`ada-a-${trial}=`, `ada-b-${trial}=`]
    await service.subscribe({ connectionId: observer }, { action: 'subscribe', roomName, userName: 'obs' })

    const joined = await Promise.all(
      [one, two].map((connectionId) =>
        service.subscribe({ connectionId }, { action: 'subscribe', roomName, userName: 'ada' }),
      ),
    )
    expect(joined).toEqual([{ statusCode: 200 }, { statusCode: 200 }])
    const joins = presence(observer, 'userSubscribed', 'ada')
    counts.joins.push(joins)
    expect(joins).toBeGreaterThanOrEqual(1)

    const left = await Promise.all(
      [one, two].map((connectionId) =>
        service.unsubscribe({ connectionId }, { action: 'unsubscribe', roomName }),
      ),
    )
    expect(left).toEqual([{ statusCode: 200 }, { statusCode: 200 }])
    const leaves = presence(observer, 'userUnsubscribed', 'ada')
    counts.leaves.push(leaves)
    expect(leaves).toBeGreaterThanOrEqual(1)
  })

  it('announces each change at most twice (one duplicate at worst, from two racers)', () => {
    expect(counts.joins.every((n) => n >= 1 && n <= 2)).toBe(true)
    expect(counts.leaves.every((n) => n >= 1 && n <= 2)).toBe(true)
  })
})
