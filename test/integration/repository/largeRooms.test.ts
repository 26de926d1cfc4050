import assert from 'node:assert/strict'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { describe, expect, it } from 'vitest'
import { DEPARTURE_ENTITY } from '../../../src/entities/index.js'
import {
  BASE_SUBSCRIPTION_SHARD,
  subscriptionShardOf,
  subscriptionShardPartition,
} from '../../../src/keys.js'
import { createChatRepository } from '../../../src/repository/chatRepository.js'
import { mapWithConcurrency } from '../../../src/util/concurrency.js'
import { newDocumentClient, useTestTable } from '../../support/dynamo.js'
import { injectDelays } from '../../support/faults.js'
import { prng, scanAll } from '../../support/scan.js'

const t = useTestTable()

/** A room of `threshold` members made large by the last of them (threshold 5, 4 shards unless given). */
async function largeRoom(roomName: string, { threshold = 5, shards = 4 } = {}) {
  const repo = t.repository({ largeRoomThreshold: threshold, largeRoomShards: shards })
  for (let i = 0; i < threshold; i++) {
    await repo.subscribe({ roomName, connectionId: `${roomName}-base${i}`, userName: `base${i}` })
  }
  return repo
}

async function itemsOf(roomName: string) {
  const prefix = subscriptionShardPartition(roomName, BASE_SUBSCRIPTION_SHARD)
  return (await scanAll(t.documentClient, t.tableName)).filter(
    (item) => item.pk === prefix || String(item.pk).startsWith(`${prefix}|`),
  )
}

async function listingRecords(roomName: string) {
  return (await scanAll(t.documentClient, t.tableName)).filter(
    (item) => String(item.pk).startsWith('Room') && item.data === roomName,
  )
}

/** Holds the first request of `documentClient` that `matches` until released; `held` resolves when it is held. */
function holdRequest(
  documentClient: DynamoDBDocumentClient,
  matches: (input: Record<string, unknown>) => boolean,
) {
  let held: () => void = () => {}
  let release: () => void = () => {}
  const reached = new Promise<void>((resolve) => {
    held = resolve
  })
  const released = new Promise<void>((resolve) => {
    release = resolve
  })
  let holding = true
  documentClient.middlewareStack.add(
    (next) => async (args) => {
      if (holding && matches(args.input as Record<string, unknown>)) {
        holding = false
        held()
        await released
      }
      return next(args)
    },
    { step: 'initialize', name: `holdRequest${Math.floor(Math.random() * 1e9)}` },
  )
  return { held: reached, release }
}

/** A join's count: the +1 UpdateItem on a partition's counter. */
const isJoinCount = (input: Record<string, unknown>) =>
  (input.Key as { sk?: string } | undefined)?.sk === '#count' &&
  (input.ExpressionAttributeValues as Record<string, unknown> | undefined)?.[':delta'] === 1

/** At rest, no partition's counter may count more subscriptions than it holds (docs/data-model.md, "The count"). */
async function expectCountersNotAbove(repo: ReturnType<typeof t.repository>, roomName: string) {
  const exact = await repo.largeRoomSnapshot(roomName)
  for (const { shard, subscribers, counted } of exact?.partitions ?? []) {
    expect({ shard, counted: Math.min(counted ?? 0, subscribers) }).toEqual({ shard, counted: counted ?? 0 })
  }
  return exact
}

describe('large rooms', () => {
  it('becomes large when a subscribe brings it to the threshold, and stays small below it', async () => {
    const repo = t.repository({ largeRoomThreshold: 5, largeRoomShards: 4 })
    for (let i = 0; i < 4; i++) {
      await repo.subscribe({ roomName: 'grow', connectionId: `grow-${i}`, userName: `u${i}` })
    }
    expect((await repo.roomSnapshot('grow')).state?.shards).toBeUndefined()
    expect(await repo.largeRoomShards('grow')).toBeUndefined()
    const fifth = await repo.subscribe({ roomName: 'grow', connectionId: 'grow-4', userName: 'u4' })
    // The crossing subscribe is the room's first large one: a count and a sample of the members
    // from before and itself (all in the base partition), no list of subscribers.
    expect(fifth).toMatchObject({
      layout: 'large',
      subscribed: true,
      shards: 4,
      subscriberCount: 5,
      sample: ['u0', 'u1', 'u2', 'u3', 'u4'],
    })
    expect(fifth).not.toHaveProperty('subscribers')
    expect((await repo.subscriberCounts('grow'))?.total).toBe(5)
    expect((await repo.roomSnapshot('grow')).state?.shards).toBe(4)
    const sixth = await repo.subscribe({ roomName: 'grow', connectionId: 'grow-5', userName: 'u5' })
    expect(sixth).toMatchObject({ layout: 'large', subscribed: true, shards: 4, subscriberCount: 6 })
    expect(sixth).not.toHaveProperty('subscribers')
    assert(sixth.layout === 'large')
    expect(sixth.sample).toEqual(['u0', 'u1', 'u2', 'u3', 'u4', 'u5'])
    const own = (await itemsOf('grow')).find((item) => item.data === 'grow-5')
    expect(own?.pk).toBe(subscriptionShardPartition('grow', subscriptionShardOf('grow-5', 4)))
    expect((await repo.subscriberCounts('grow'))?.total).toBe(6)
  })

  it('agrees on one shard count when processes with different settings cross at once', async () => {
    const small = t.repository({ largeRoomThreshold: 5, largeRoomShards: 4 })
    for (let i = 0; i < 4; i++) {
      await small.subscribe({ roomName: 'race', connectionId: `race-${i}`, userName: `u${i}` })
    }
    const processes = [4, 8, 16].map((shards) =>
      t.repository({ largeRoomThreshold: 5, largeRoomShards: shards }),
    )
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        processes[i % 3]?.subscribe({ roomName: 'race', connectionId: `race-new${i}`, userName: `n${i}` }),
      ),
    )
    const shards = (await small.roomSnapshot('race')).state?.shards as number
    expect([4, 8, 16]).toContain(shards)
    const subscriptions = (await itemsOf('race')).filter((item) => item._et === 'Subscription')
    expect(subscriptions).toHaveLength(34)
    for (const item of subscriptions) {
      // Each member is in the base partition or in the shard the agreed count puts it in.
      const connectionId = item.data as string
      expect([
        subscriptionShardPartition('race', BASE_SUBSCRIPTION_SHARD),
        subscriptionShardPartition('race', subscriptionShardOf(connectionId, shards)),
      ]).toContain(item.pk)
    }
    const exact = await small.largeRoomSnapshot('race')
    expect(exact?.subscribers).toHaveLength(34)
    // Approximate while subscribes race the crossing (a subscribe that read the room before it
    // was marked may land in the base partition uncounted); an exact read sets it right.
    expect(Math.abs(((await small.subscriberCounts('race'))?.total ?? 0) - 34)).toBeLessThanOrEqual(30)
    await small.largeRoomSnapshot('race', { repair: true })
    expect((await small.subscriberCounts('race'))?.total).toBe(34)
  })

  it('checks membership by key: a post costs one BatchGetItem and one PutItem', async () => {
    const repo = await largeRoom('post')
    await repo.subscribe({ roomName: 'post', connectionId: 'post-new', userName: 'newbie' })
    t.counter.reset()
    const posted = await repo.postMessage({ roomName: 'post', connectionId: 'post-new', message: 'hi' })
    expect(posted).toMatchObject({ stored: true, layout: 'large', shards: 4 })
    expect(posted).not.toHaveProperty('recipients')
    expect(posted.message.userName).toBe('newbie')
    expect(t.counter.counts()).toEqual({ BatchGetItem: 1, PutItem: 1 })
    // A member from before the room was large posts from the base partition.
    const old = await repo.postMessage({ roomName: 'post', connectionId: 'post-base2', message: 'yo' })
    expect(old.message.userName).toBe('base2')
    await expect(
      repo.postMessage({ roomName: 'post', connectionId: 'stranger', message: 'x' }),
    ).rejects.toMatchObject({ code: 'access.notSubscribed' })
  })

  it('learns a room is large from its first read in a fresh process, and writes new members to shards', async () => {
    await largeRoom('fresh')
    // A process meeting the room well after it became large (a clock 10 s on).
    const later = () => Date.now() + 10_000
    const fresh = t.repository({ largeRoomThreshold: 5, largeRoomShards: 4, now: later })
    const joined = await fresh.subscribe({ roomName: 'fresh', connectionId: 'fresh-x', userName: 'x' })
    expect(joined).toMatchObject({ subscribed: true, layout: 'large', shards: 4, subscriberCount: 6 })
    const items = (await itemsOf('fresh')).filter((item) => item.data === 'fresh-x')
    expect(items.map((item) => item.pk)).toEqual([
      subscriptionShardPartition('fresh', subscriptionShardOf('fresh-x', 4)),
    ])
    // Another fresh process: its post finds the room large and the member in its shard.
    const other = t.repository({ largeRoomThreshold: 5, largeRoomShards: 4 })
    const otherPost = await other.postMessage({ roomName: 'fresh', connectionId: 'fresh-x', message: 'm' })
    expect(otherPost).toMatchObject({ layout: 'large', shards: 4 })
  })

  it('moves a subscribe that met the room large only after writing into the base partition, counting it once', async () => {
    await largeRoom('mover')
    // Right at the crossing (within MARKING_WINDOW_MS) the marking may have counted the base
    // write: it is counted out there, so the count errs low, never high.
    const now = t.repository({ largeRoomThreshold: 5, largeRoomShards: 4 })
    await now.subscribe({ roomName: 'mover', connectionId: 'mover-a', userName: 'a' })
    const later = t.repository({ largeRoomThreshold: 5, largeRoomShards: 4, now: () => Date.now() + 10_000 })
    await later.subscribe({ roomName: 'mover', connectionId: 'mover-b', userName: 'b' })
    const items = (await itemsOf('mover')).filter((item) => item._et === 'Subscription')
    expect(
      items.filter((item) => item.pk === subscriptionShardPartition('mover', BASE_SUBSCRIPTION_SHARD)),
    ).toHaveLength(5)
    expect(items).toHaveLength(7)
    expect((await now.subscriberCounts('mover'))?.total).toBe(6)
    await now.largeRoomSnapshot('mover', { repair: true })
    expect((await now.subscriberCounts('mover'))?.total).toBe(7)
  })

  it('keeps subscribing idempotent: a repeat writes nothing, in a shard or in the base partition', async () => {
    const repo = await largeRoom('repeat')
    await repo.subscribe({ roomName: 'repeat', connectionId: 'repeat-n', userName: 'n' })
    const again = await repo.subscribe({ roomName: 'repeat', connectionId: 'repeat-n', userName: 'other' })
    expect(again).toMatchObject({ subscribed: false, userName: 'n', layout: 'large', subscriberCount: 6 })
    const base = await repo.subscribe({ roomName: 'repeat', connectionId: 'repeat-base1', userName: 'z' })
    expect(base).toMatchObject({ subscribed: false, userName: 'base1', layout: 'large', subscriberCount: 6 })
    const copies = (await itemsOf('repeat')).filter((item) => item.data === 'repeat-base1')
    expect(copies).toHaveLength(1)
    expect((await repo.subscriberCounts('repeat'))?.total).toBe(6)
  })

  it('lets a connection at its room cap subscribe again to the large room it is in (a repeat, not a new room)', async () => {
    const repo = await largeRoom('capped', { threshold: 5, shards: 4 })
    const capped = t.repository({
      largeRoomThreshold: 5,
      largeRoomShards: 4,
      maxRoomsPerConnection: 1,
      now: () => Date.now() + 10_000,
    })
    expect(
      await capped.subscribe({ roomName: 'capped', connectionId: 'capped-x', userName: 'x' }),
    ).toMatchObject({
      subscribed: true,
    })
    expect(
      await capped.subscribe({ roomName: 'capped', connectionId: 'capped-x', userName: 'x' }),
    ).toMatchObject({
      subscribed: false,
    })
    await expect(
      capped.subscribe({ roomName: 'elsewhere', connectionId: 'capped-x', userName: 'x' }),
    ).rejects.toMatchObject({ code: 'limit.roomsPerConnection' })
    expect((await repo.subscriberCounts('capped'))?.total).toBe(6)
  })

  it('leaves the shard of a member who left the base partition and came back, from a process new to the room', async () => {
    const repo = await largeRoom('back')
    await repo.unsubscribe({ roomName: 'back', connectionId: 'back-base1' })
    // Back after the room became large: into its shard (the base partition keeps its departure).
    expect(
      await repo.subscribe({ roomName: 'back', connectionId: 'back-base1', userName: 'base1' }),
    ).toMatchObject({
      subscribed: true,
    })
    const fresh = t.repository({ largeRoomThreshold: 5, largeRoomShards: 4 })
    t.counter.reset()
    const left = await fresh.unsubscribe({ roomName: 'back', connectionId: 'back-base1' })
    expect(left).toMatchObject({ unsubscribed: true, userName: 'base1', layout: 'large', shards: 4 })
    // The base key (a departure) once, the shard key, the count (UpdateItem 3); the base partition
    // read that told it the room is large (Query 1). This room of 4 is near empty, so the counters
    // (BatchGetItem) and an exact read of its 5 partitions (Query 5) follow.
    expect(t.counter.counts()).toEqual({ UpdateItem: 3, Query: 6, BatchGetItem: 1 })
    const items = (await itemsOf('back')).filter((item) => item.data === 'back-base1')
    expect(items.map((item) => item._et)).toEqual(['Departure', 'Departure'])
    expect((await repo.subscriberCounts('back'))?.total).toBe(4)
  })

  it('counts leaves and unlists the room when the last member goes, then lists it again', async () => {
    const repo = await largeRoom('drain')
    await repo.subscribe({ roomName: 'drain', connectionId: 'drain-n', userName: 'n' })
    const left = await repo.unsubscribe({ roomName: 'drain', connectionId: 'drain-n' })
    expect(left).toMatchObject({ unsubscribed: true, userName: 'n', layout: 'large', shards: 4 })
    expect(await repo.unsubscribe({ roomName: 'drain', connectionId: 'drain-n' })).toMatchObject({
      unsubscribed: false,
    })
    for (let i = 0; i < 4; i++) await repo.unsubscribe({ roomName: 'drain', connectionId: `drain-base${i}` })
    expect((await repo.activeRooms()).map((r) => r.roomName)).toContain('drain')
    // The last one leaves by disconnecting.
    const removed = await repo.removeConnection('drain-base4')
    expect(removed).toMatchObject([{ roomName: 'drain', transition: 'emptied', layout: 'large', shards: 4 }])
    expect((await repo.activeRooms()).map((r) => r.roomName)).not.toContain('drain')
    expect((await repo.subscriberCounts('drain'))?.total).toBe(0)
    // Large for good: a new member goes to a shard and lists the room again.
    const back = await repo.subscribe({ roomName: 'drain', connectionId: 'drain-back', userName: 'b' })
    expect(back).toMatchObject({ transition: 'reactivated', layout: 'large', subscriberCount: 1 })
    expect((await repo.activeRooms()).map((r) => r.roomName)).toContain('drain')
    expect(await listingRecords('drain')).toHaveLength(1)
  })

  it('removes a disconnected member from its shard and counts it out', async () => {
    // One shard, so the new members share it and it stays far from empty (over OWN_COUNT_SLACK).
    const repo = await largeRoom('gone', { threshold: 5, shards: 1 })
    const ids = [...Array.from({ length: 11 }, (_, i) => `gone-${i}`), 'gone-n']
    for (const id of ids) await repo.subscribe({ roomName: 'gone', connectionId: id, userName: id })
    t.counter.reset()
    const removed = await repo.removeConnection('gone-n')
    expect(removed).toMatchObject([{ roomName: 'gone', layout: 'large', transition: undefined }])
    // GSI Query + DeleteItem (which tells whether this call removed it) + the count: no read of the room.
    expect(t.counter.counts()).toEqual({ Query: 1, DeleteItem: 1, UpdateItem: 1 })
    expect((await itemsOf('gone')).filter((item) => item.data === 'gone-n')).toEqual([])
    expect((await repo.subscriberCounts('gone'))?.total).toBe(16)
  })

  it.each([
    { who: 'a member of a shard', connection: (i: number) => `twice-${i}` },
    { who: 'a member from before, removed by processes new to the room', connection: () => 'twice-base2' },
  ])(
    'counts a connection removed twice at once (disconnect and a 410 cleanup) out once: $who',
    async ({ connection }) => {
      // One shard holding 11 new members: far from empty, so neither removal reads the room.
      const repo = await largeRoom('twice', { threshold: 5, shards: 1 })
      const ids = Array.from({ length: 11 }, (_, i) => `twice-${i}`)
      for (const id of ids) await repo.subscribe({ roomName: 'twice', connectionId: id, userName: id })
      const before = (await repo.subscriberCounts('twice'))?.total ?? 0
      const connectionId = connection(3)
      // Two processes; each holds its removal until both have read the subscription through the index.
      let arrived = 0
      let bothRead: () => void = () => {}
      const barrier = new Promise<void>((resolve) => {
        bothRead = resolve
      })
      const processes = [0, 1].map(() => {
        const documentClient = newDocumentClient()
        documentClient.middlewareStack.add(
          (next) => async (args) => {
            const output = await next(args)
            if ((args.input as { IndexName?: string }).IndexName) {
              if (++arrived === 2) bothRead()
              await barrier
            }
            return output
          },
          { step: 'initialize', name: 'holdAfterIndexRead' },
        )
        const repository = createChatRepository({
          documentClient,
          tableName: t.tableName,
          largeRoomThreshold: 5,
          largeRoomShards: 1,
        })
        return { documentClient, repository }
      })
      const removed = await Promise.all(
        processes.map(({ repository }) => repository.removeConnection(connectionId)),
      )
      for (const { documentClient } of processes) documentClient.destroy()
      expect((await itemsOf('twice')).filter((item) => item.data === connectionId)).toEqual([])
      expect((await repo.subscriberCounts('twice'))?.total).toBe(before - 1)
      expect(removed.flat().length).toBeGreaterThanOrEqual(1)
      // Cleanup for the next case: the room starts again from nothing.
      for (const id of [...ids, ...Array.from({ length: 5 }, (_, i) => `twice-base${i}`)]) {
        await repo.removeConnection(id)
      }
      const { DeleteCommand } = await import('@aws-sdk/lib-dynamodb')
      for (const item of await itemsOf('twice')) {
        await t.documentClient.send(
          new DeleteCommand({ TableName: t.tableName, Key: { pk: item.pk, sk: item.sk } }),
        )
      }
    },
  )

  it("claims a roomStats once per interval, keeping the count it sends, and one trailing roomStats per interval's end", async () => {
    const repo = await largeRoom('stats')
    const processes = [0, 1, 2].map(() => t.repository({ largeRoomThreshold: 5, largeRoomShards: 4 }))
    expect((await repo.subscriberCounts('stats'))?.lastStats).toEqual({ at: undefined, count: undefined })
    const claims = await Promise.all(processes.map((p) => p.claimRoomStats('stats', 60_000, 5)))
    expect(claims.filter(Boolean)).toHaveLength(1)
    expect((await repo.subscriberCounts('stats'))?.lastStats).toMatchObject({ count: 5 })
    expect(await repo.claimRoomStats('stats', 60_000, 6)).toBe(false)
    // Concurrent processes agree on one trailing job for the end of an interval; a later end is free.
    const dueAt = 1_800_000_030_000
    const trailing = await Promise.all(processes.map((p) => p.claimTrailingStats('stats', dueAt)))
    expect(trailing.filter(Boolean)).toHaveLength(1)
    expect(await repo.claimTrailingStats('stats', dueAt)).toBe(false)
    expect(await repo.claimTrailingStats('stats', dueAt + 30_000)).toBe(true)
    // A small room has no counter: nothing to claim.
    await repo.subscribe({ roomName: 'stats-small', connectionId: 'stats-small-0', userName: 'u' })
    expect(await repo.claimTrailingStats('stats-small', dueAt)).toBe(false)
    expect(await repo.claimRoomStats('stats-small', 0, 1)).toBe(false)
  })

  it('repairs counters an exact read finds wrong', async () => {
    const repo = await largeRoom('drift')
    await repo.subscribe({ roomName: 'drift', connectionId: 'drift-n', userName: 'n' })
    // A request that died between its write and its count: the base counter is one too high.
    const counts = await repo.subscriberCounts('drift')
    expect(counts?.total).toBe(6)
    const exact = await repo.largeRoomSnapshot('drift', { repair: false })
    expect(exact?.partitions.find((p) => p.shard === BASE_SUBSCRIPTION_SHARD)).toMatchObject({
      subscribers: 5,
      counted: 5,
    })
    const { UpdateCommand } = await import('@aws-sdk/lib-dynamodb')
    await t.documentClient.send(
      new UpdateCommand({
        TableName: t.tableName,
        Key: { pk: subscriptionShardPartition('drift', BASE_SUBSCRIPTION_SHARD), sk: '#count' },
        UpdateExpression: 'ADD #n :three',
        ExpressionAttributeNames: { '#n': 'n' },
        ExpressionAttributeValues: { ':three': 3 },
      }),
    )
    expect((await repo.subscriberCounts('drift'))?.total).toBe(9)
    const repaired = await repo.largeRoomSnapshot('drift', { repair: true })
    expect(repaired?.repaired).toBe(1)
    expect((await repo.subscriberCounts('drift'))?.total).toBe(6)
  })

  // `#late` sorts before the counters (`#count`): its counters are read on their own, first.
  it.each(['late', '#late'])(
    'never counts a member twice when a repair reads its subscription before its count lands (%s)',
    async (room) => {
      const repo = await largeRoom(room, { threshold: 5, shards: 1 })
      // The joiner's process holds its count (+1) until another process has repaired the counters.
      const joinerClient = newDocumentClient()
      const count = holdRequest(joinerClient, isJoinCount)
      const joiner = createChatRepository({
        documentClient: joinerClient,
        tableName: t.tableName,
        largeRoomThreshold: 5,
        largeRoomShards: 1,
      })
      const joining = joiner.subscribe({ roomName: room, connectionId: `${room}-j`, userName: 'j' })
      await count.held
      // The repair (as `chatdb cleanup rooms` makes it) sees the subscription, not yet its count.
      await repo.largeRoomSnapshot(room, { repair: true })
      count.release()
      expect(await joining).toMatchObject({ subscribed: true })
      joinerClient.destroy()
      const exact = await expectCountersNotAbove(repo, room)
      expect(exact?.subscribers).toHaveLength(6)
      // Everyone leaves: the counters reach 0 (or below), and the room is unlisted.
      for (const id of [`${room}-j`, ...Array.from({ length: 5 }, (_, i) => `${room}-base${i}`)]) {
        await repo.removeConnection(id)
      }
      expect((await repo.subscriberCounts(room))?.total).toBe(0)
      expect((await repo.activeRooms()).map((r) => r.roomName)).not.toContain(room)
    },
  )

  it('never counts a subscribe moving out of the base partition when a repair reads it there', async () => {
    const repo = await largeRoom('moving', { threshold: 5, shards: 1 })
    // A process new to the room, well after the marking, writes into the base partition, finds
    // the room large and moves to its shard; it holds the delete of its base write until a
    // repair has read the base partition with it.
    const moverClient = newDocumentClient()
    const move = holdRequest(
      moverClient,
      (input) =>
        (input.Key as { pk?: string } | undefined)?.pk ===
          subscriptionShardPartition('moving', BASE_SUBSCRIPTION_SHARD) &&
        typeof input.ConditionExpression === 'string' &&
        input.ConditionExpression.includes('#attempt = :attempt'),
    )
    const mover = createChatRepository({
      documentClient: moverClient,
      tableName: t.tableName,
      largeRoomThreshold: 5,
      largeRoomShards: 1,
      now: () => Date.now() + 10_000,
    })
    const joining = mover.subscribe({ roomName: 'moving', connectionId: 'moving-m', userName: 'm' })
    await move.held
    await repo.largeRoomSnapshot('moving', { repair: true })
    move.release()
    expect(await joining).toMatchObject({ subscribed: true })
    moverClient.destroy()
    const exact = await expectCountersNotAbove(repo, 'moving')
    expect(exact?.subscribers).toHaveLength(6)
  })

  it('never counts the shard write a member from before takes back, when a repair reads it there', async () => {
    const repo = await largeRoom('regain', { threshold: 5, shards: 1 })
    // A member from before subscribes again: its process writes into the member's shard, finds
    // the base subscription and deletes the shard write, held until a repair has counted it.
    const memberClient = newDocumentClient()
    const takeBack = holdRequest(
      memberClient,
      (input) =>
        (input.Key as { pk?: string } | undefined)?.pk === subscriptionShardPartition('regain', 0) &&
        typeof input.ConditionExpression === 'string' &&
        input.ConditionExpression.includes('#attempt = :attempt'),
    )
    const member = createChatRepository({
      documentClient: memberClient,
      tableName: t.tableName,
      largeRoomThreshold: 5,
      largeRoomShards: 1,
    })
    const again = member.subscribe({ roomName: 'regain', connectionId: 'regain-base0', userName: 'base0' })
    await takeBack.held
    expect(await repo.largeRoomSnapshot('regain', { repair: true })).toBeDefined()
    takeBack.release()
    expect(await again).toMatchObject({ subscribed: false })
    memberClient.destroy()
    const exact = await expectCountersNotAbove(repo, 'regain')
    expect(exact?.subscribers).toHaveLength(5)
  })

  it('never deletes a subscription written over a departure that a removal read through the index', async () => {
    const repo = await largeRoom('over', { threshold: 5, shards: 1 })
    await repo.subscribe({ roomName: 'over', connectionId: 'over-c', userName: 'c' })
    await repo.unsubscribe({ roomName: 'over', connectionId: 'over-c' })
    // A removal of the connection reads its departure through the index; before it deletes it,
    // the connection subscribes again over the departure (and is counted).
    const removerClient = newDocumentClient()
    const removal = holdRequest(
      removerClient,
      (input) =>
        'RequestItems' in input ||
        // The delete of the departure, not the index Query (whose filter names departures too).
        (input.IndexName === undefined &&
          Object.values(
            (input.ExpressionAttributeValues as Record<string, unknown> | undefined) ?? {},
          ).includes(DEPARTURE_ENTITY)),
    )
    const remover = createChatRepository({ documentClient: removerClient, tableName: t.tableName })
    const removing = remover.removeConnection('over-c')
    await removal.held
    expect(await repo.subscribe({ roomName: 'over', connectionId: 'over-c', userName: 'c' })).toMatchObject({
      subscribed: true,
    })
    removal.release()
    await removing
    removerClient.destroy()
    const exact = await expectCountersNotAbove(repo, 'over')
    expect(exact?.subscribers.map((s) => s.connectionId)).toContain('over-c')
  })

  it('reads the room again after a claim: a member who joined while the claim was on its way relists it', async () => {
    await largeRoom('gap')
    const repo = t.repository({ largeRoomThreshold: 5, largeRoomShards: 4 })
    for (let i = 0; i < 4; i++) await repo.unsubscribe({ roomName: 'gap', connectionId: `gap-base${i}` })
    // The last leaver's process holds its claim of the guard until the joiner is done.
    const leaverClient = newDocumentClient()
    const claim = holdRequest(
      leaverClient,
      (input) => (input.Item as { sk?: string } | undefined)?.sk === '#room',
    )
    const leaver = createChatRepository({
      documentClient: leaverClient,
      tableName: t.tableName,
      largeRoomThreshold: 5,
      largeRoomShards: 4,
    })
    const leaving = leaver.unsubscribe({ roomName: 'gap', connectionId: 'gap-base4' })
    await claim.held
    // The leaver read every partition empty and is about to unlist the room; a member joins.
    const joined = await repo.subscribe({ roomName: 'gap', connectionId: 'gap-j', userName: 'j' })
    expect(joined).toMatchObject({ subscribed: true, transition: undefined })
    claim.release()
    const left = await leaving
    expect(left.unsubscribed).toBe(true)
    expect((await repo.activeRooms()).map((r) => r.roomName)).toContain('gap')
    expect(await listingRecords('gap')).toMatchObject([{ active: true }])
    leaverClient.destroy()
  })

  it.each([1, 2, 3])(
    'lists a large room iff it has subscribers, its counters never above the truth, after random concurrent operations and repairs from several processes (seed %i)',
    async (seed) => {
      const random = prng(seed)
      const roomName = `churn${seed}`
      // Three processes: each learns of the crossing on its own (or not at all).
      const processes = [0, 1, 2].map(() => t.repository({ largeRoomThreshold: 4, largeRoomShards: 3 }))
      const connections = Array.from({ length: 10 }, (_, i) => `${roomName}-c${i}`)
      const operations = Array.from({ length: 240 }, (): (() => Promise<unknown>) => {
        const roll = random.next()
        const repo = random.pick(processes)
        const connectionId = random.pick(connections)
        if (roll < 0.45) return () => repo.subscribe({ roomName, connectionId, userName: connectionId })
        if (roll < 0.8) return () => repo.unsubscribe({ roomName, connectionId })
        // An operator's `cleanup rooms` repairing counters while members come and go.
        if (roll < 0.85) return () => repo.largeRoomSnapshot(roomName, { repair: true })
        return () => repo.removeConnection(connectionId)
      })
      // Random delays around every request: reads and claims of different operations interleave.
      const delays = injectDelays(t.documentClient, { maxMs: 12, seed })
      await mapWithConcurrency(operations, 30, (operation) => operation()).finally(() => delays.stop())
      const [first] = processes
      if (!first) throw new Error('no process')
      const shards = await first.largeRoomShards(roomName)
      expect(shards).toBe(3)
      const exact = await expectCountersNotAbove(first, roomName)
      const listed = (await first.activeRooms()).some((r) => r.roomName === roomName)
      expect({ listed }).toEqual({ listed: (exact?.subscribers.length ?? 0) > 0 })
      const records = await listingRecords(roomName)
      expect(records).toHaveLength(1)
      // The record is the last claim's; marking the room large moved the guard's version on once more.
      expect(records[0]).toMatchObject({ active: exact?.state?.listed })
      expect(records[0]?.version).toBeLessThanOrEqual(exact?.state?.version ?? 0)
      // Each member once, in the base partition or its shard.
      const members = exact?.subscribers.map((s) => s.connectionId) ?? []
      expect(new Set(members).size).toBe(members.length)

      // Then everyone leaves at once: the room must end unlisted.
      const leaving = injectDelays(t.documentClient, { maxMs: 12, seed: seed + 10 })
      await Promise.all(
        connections.map((connectionId) => random.pick(processes).removeConnection(connectionId)),
      ).finally(() => leaving.stop())
      expect((await first.activeRooms()).some((r) => r.roomName === roomName)).toBe(false)
      expect(await listingRecords(roomName)).toMatchObject([{ active: false }])
      await expectCountersNotAbove(first, roomName)
    },
  )
})
