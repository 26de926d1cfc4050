import { describe, expect, it } from 'vitest'
import { createInlinePublisher } from '../../../src/fanout/inlinePublisher.js'
import { createChatService } from '../../../src/service/chatService.js'
import type { ServiceLogger } from '../../../src/service/types.js'
import { useTestTable } from '../../support/dynamo.js'
import { createRecordingBroadcaster } from '../../support/recordingBroadcaster.js'

const t = useTestTable()
const silent: ServiceLogger = { error: () => {}, warn: () => {} }

describe('a large room without a fan-out queue', () => {
  it('is posted to partition by partition by the route itself, roomStats included', async () => {
    const repository = t.repository({ largeRoomThreshold: 5, largeRoomShards: 3 })
    const broadcaster = createRecordingBroadcaster()
    const service = createChatService({
      repository,
      broadcaster,
      publisher: createInlinePublisher({ repository, broadcaster }),
      logger: silent,
      roomStatsIntervalMs: 0,
    })
    const ids = Array.from({ length: 12 }, (_, i) => `inline-${i}=`)
    for (const [i, connectionId] of ids.entries()) {
      const outcome = await service.receive(
        { connectionId },
        JSON.stringify({ action: 'subscribe', roomName: 'plaza', userName: `p${i}` }),
      )
      expect(outcome.statusCode).toBe(200)
    }
    expect(await repository.largeRoomShards('plaza')).toBe(3)
    // The last joiner's state: a count and a sample; the others heard the count, not the join.
    expect(broadcaster.framesFor(ids[11] as string)).toMatchObject([
      { type: 'subscribed', roomName: 'plaza', subscriberCount: 12 },
      { type: 'roomStats', subscriberCount: 12 },
    ])
    expect(broadcaster.framesFor(ids[0] as string).filter((f) => f.type === 'userSubscribed')).toHaveLength(3)
    expect(broadcaster.framesFor(ids[0] as string).at(-1)).toEqual({
      type: 'roomStats',
      roomName: 'plaza',
      subscriberCount: 12,
    })
    broadcaster.clear()
    t.counter.reset()
    const sent = await service.receive(
      { connectionId: ids[7] as string, requestId: 'inline-req' },
      JSON.stringify({ action: 'sendMessage', roomName: 'plaza', message: 'all of you' }),
    )
    expect(sent.statusCode).toBe(200)
    for (const id of ids) {
      expect(broadcaster.framesFor(id), id).toMatchObject([
        { type: 'newMessage', message: { userName: 'p7', message: 'all of you' } },
      ])
    }
    // Membership by key, the message, and one Query per partition (base + 3 shards).
    expect(t.counter.counts()).toEqual({ BatchGetItem: 1, PutItem: 1, Query: 4 })
  })

  it('answers the subscribe that brings the room to the threshold as large, and tells the members from before', async () => {
    const repository = t.repository({ largeRoomThreshold: 5, largeRoomShards: 3 })
    const broadcaster = createRecordingBroadcaster()
    const service = createChatService({
      repository,
      broadcaster,
      publisher: createInlinePublisher({ repository, broadcaster }),
      logger: silent,
      roomStatsIntervalMs: 60_000,
    })
    const ids = Array.from({ length: 5 }, (_, i) => `cross-${i}=`)
    for (const [i, connectionId] of ids.entries()) {
      const outcome = await service.receive(
        { connectionId },
        JSON.stringify({ action: 'subscribe', roomName: 'crossing', userName: `c${i}` }),
      )
      expect(outcome.statusCode).toBe(200)
    }
    expect(await repository.largeRoomShards('crossing')).toBe(3)
    // The 5th subscriber (the threshold) joined a large room: a count and a sample, no announcement.
    expect(broadcaster.framesFor(ids[4] as string)).toEqual([
      {
        type: 'subscribed',
        roomName: 'crossing',
        users: ['c0', 'c1', 'c2', 'c3', 'c4'],
        messages: [],
        subscriberCount: 5,
      },
      { type: 'roomStats', roomName: 'crossing', subscriberCount: 5 },
    ])
    // The members from before heard the joins while the room was small, then the count.
    for (const [i, id] of ids.slice(0, 4).entries()) {
      const frames = broadcaster.framesFor(id)
      const joined = frames.flatMap((f) => (f.type === 'userSubscribed' ? [f.userName] : []))
      expect(joined, id).toEqual(['c1', 'c2', 'c3'].slice(i))
      expect(frames.at(-1), id).toEqual({ type: 'roomStats', roomName: 'crossing', subscriberCount: 5 })
    }
  })

  it("fails a large room's route with store.config when the service was given no publisher", async () => {
    const repository = t.repository({ largeRoomThreshold: 2, largeRoomShards: 2 })
    const broadcaster = createRecordingBroadcaster()
    const errors: Record<string, unknown>[] = []
    const service = createChatService({
      repository,
      broadcaster,
      logger: { error: (_event, details) => errors.push(details), warn: () => {} },
      roomStatsIntervalMs: 0,
    })
    for (const connectionId of ['bare-0=', 'bare-1=']) {
      await service.receive(
        { connectionId },
        JSON.stringify({ action: 'subscribe', roomName: 'bare', userName: connectionId }),
      )
    }
    expect(await repository.largeRoomShards('bare')).toBe(2)
    const sent = await service.receive(
      { connectionId: 'bare-0=' },
      JSON.stringify({ action: 'sendMessage', roomName: 'bare', message: 'anyone?' }),
    )
    expect(sent.statusCode).toBe(500)
    expect(errors).toMatchObject([{ route: 'sendMessage', error: { code: 'store.config' } }])
  })
})
