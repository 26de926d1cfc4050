import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type Gateway, startGateway } from '../../../../cli/gateway/startGateway.js'
import { isChatDbError } from '../../../../src/errors.js'
import { type FanOutJob, packJobs } from '../../../../src/fanout/jobs.js'
import { subscriptionShardPartition } from '../../../../src/keys.js'
import type { ServerFrame } from '../../../../src/protocol/frames.js'
import { useTestTable } from '../../../support/dynamo.js'
import { scanAll } from '../../../support/scan.js'
import { writeShardSubscriptions } from '../../../support/shardedSubscriptions.js'
import { connectClient, type TestClient } from '../../../support/wsClient.js'

const t = useTestTable()
let gateway: Gateway
const logLines: string[] = []
const clients: TestClient[] = []
// Short, so that a failing job reaches the dead-letter queue in seconds, yet longer than one delivery
// to a dead endpoint takes (3 rounds of posts, each up to 3 SDK attempts, with backoff): a job
// delivered again while its first delivery still works would be posted twice, as SQS would.
const visibilityTimeoutMs = 2_000
const maxReceiveCount = 3

beforeAll(async () => {
  gateway = await startGateway({
    port: 0,
    documentClient: t.documentClient,
    tableName: t.tableName,
    log: (line) => logLines.push(line),
    fanOutVisibilityTimeoutMs: visibilityTimeoutMs,
    fanOutMaxReceiveCount: maxReceiveCount,
  })
})
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()))
  await gateway.close()
})

/** `n` WebSocket clients and the connection ids the gateway gave them (from its `$connect` log lines). */
async function connectMany(n: number): Promise<{ client: TestClient; connectionId: string }[]> {
  const connected: { client: TestClient; connectionId: string }[] = []
  for (let i = 0; i < n; i++) {
    const before = logLines.length
    const client = await connectClient(gateway.url)
    clients.push(client)
    const line = logLines.slice(before).find((l) => l.startsWith('$connect '))
    connected.push({ client, connectionId: (line as string).split(' ')[1] as string })
  }
  return connected
}

async function publish(jobs: FanOutJob[]) {
  for (const batch of packJobs(jobs))
    expect(await gateway.fanOut.queue.sendBatch(batch)).toEqual({ failed: [] })
}

const newMessage = (id: string, text: string): ServerFrame => ({
  type: 'newMessage',
  roomName: 'big',
  message: { id, userName: 'ada', message: text, time: 1_700_000_000_000 },
})

describe('startGateway: the in-process fan-out of large rooms', () => {
  it('exposes its queue and dead-letter queue with SQS-like settings', () => {
    expect(gateway.fanOut).toMatchObject({ visibilityTimeoutMs, maxReceiveCount })
    expect(gateway.fanOut.queue.name).toBe('fanout')
    expect(gateway.fanOut.deadLetters.name).toBe('fanout-dlq')
  })

  it("posts a shard's job to every member of that shard, frame exactly as sent, and to nobody else", async () => {
    const members = await connectMany(12)
    const [bystander] = await connectMany(1)
    await writeShardSubscriptions(t.documentClient, t.tableName, {
      roomName: 'big',
      shard: 3,
      connectionIds: members.map((m) => m.connectionId),
    })
    const frame = newMessage('m-1', 'to the whole shard, ünïcode and all')
    await publish([
      {
        v: 1,
        kind: 'shard',
        roomName: 'big',
        shard: 3,
        frame,
        attempt: 0,
        endpoint: gateway.managementEndpoint,
      },
    ])
    for (const { client } of members)
      expect(await client.next('newMessage', undefined, 10_000)).toEqual(frame)
    // The job is done (deleted), nothing dead-lettered; each member got the frame once.
    await vi.waitFor(() => expect(gateway.fanOut.queue.stats()).toEqual({ visible: 0, inFlight: 0 }))
    expect(gateway.fanOut.deadLetters.stats()).toEqual({ visible: 0, inFlight: 0 })
    for (const { client } of members)
      expect(client.frames.filter((f) => f.type === 'newMessage')).toHaveLength(1)
    expect(bystander?.client.frames).toEqual([])
  })

  it('posts a job without an endpoint through the gateway’s own @connections API, and a retry job to its named connections', async () => {
    const [ada, bob, cy] = await connectMany(3)
    await writeShardSubscriptions(t.documentClient, t.tableName, {
      roomName: 'big',
      shard: 5,
      connectionIds: [ada?.connectionId as string],
    })
    const first = newMessage('m-2', 'no endpoint named')
    const retry = newMessage('m-3', 'to named connections')
    await publish([
      { v: 1, kind: 'shard', roomName: 'big', shard: 5, frame: first, attempt: 0 },
      {
        v: 1,
        kind: 'retry',
        roomName: 'big',
        connectionIds: [bob?.connectionId as string, cy?.connectionId as string],
        frame: retry,
        attempt: 1,
      },
    ])
    expect(await ada?.client.next('newMessage')).toEqual(first)
    expect(await bob?.client.next('newMessage')).toEqual(retry)
    expect(await cy?.client.next('newMessage')).toEqual(retry)
  })

  it("removes a shard's gone connection (410) while the live members get the frame", async () => {
    const [live] = await connectMany(1)
    const ghost = 'gone-connection='
    await writeShardSubscriptions(t.documentClient, t.tableName, {
      roomName: 'big',
      shard: 7,
      connectionIds: [live?.connectionId as string, ghost],
    })
    const frame = newMessage('m-5', 'one of you is gone')
    await publish([
      {
        v: 1,
        kind: 'shard',
        roomName: 'big',
        shard: 7,
        frame,
        attempt: 0,
        endpoint: gateway.managementEndpoint,
      },
    ])
    expect(await live?.client.next('newMessage')).toEqual(frame)
    const shardMembers = async () =>
      (await scanAll(t.documentClient, t.tableName))
        .filter((item) => item.pk === subscriptionShardPartition('big', 7))
        .map((item) => item.data)
    await vi.waitFor(async () => expect(await shardMembers()).toEqual([live?.connectionId]))
    await vi.waitFor(() => expect(gateway.fanOut.queue.stats()).toEqual({ visible: 0, inFlight: 0 }))
  })

  it('drops posts that fail for good (a frame over 128 KB) instead of retrying them: the job is done, nothing dead-lettered', async () => {
    const [member] = await connectMany(1)
    await writeShardSubscriptions(t.documentClient, t.tableName, {
      roomName: 'big',
      shard: 9,
      connectionIds: [member?.connectionId as string],
    })
    const deadBefore = gateway.fanOut.deadLetters.stats().visible
    const huge = newMessage('m-6', 'x'.repeat(140_000))
    const small = newMessage('m-7', 'after the huge one')
    await publish([{ v: 1, kind: 'shard', roomName: 'big', shard: 9, frame: huge, attempt: 0 }])
    await vi.waitFor(() => expect(gateway.fanOut.queue.stats()).toEqual({ visible: 0, inFlight: 0 }))
    await publish([{ v: 1, kind: 'shard', roomName: 'big', shard: 9, frame: small, attempt: 0 }])
    expect(await member?.client.next('newMessage')).toEqual(small)
    expect(member?.client.frames).toEqual([small])
    expect(gateway.fanOut.deadLetters.stats().visible).toBe(deadBefore)
  })

  it('moves a job it cannot deliver to the dead-letter queue after maxReceiveCount receives, with a warning', async () => {
    // A job naming an @connections endpoint that is not the gateway's: the worker refuses it
    // (it posts nowhere else), so the job fails on every receive.
    const [member] = await connectMany(1)
    await writeShardSubscriptions(t.documentClient, t.tableName, {
      roomName: 'doomed',
      shard: 0,
      connectionIds: [member?.connectionId as string],
    })
    const frame = { ...newMessage('m-4', 'never delivered'), roomName: 'doomed' } as ServerFrame
    const doomed = {
      v: 1,
      kind: 'shard',
      roomName: 'doomed',
      shard: 0,
      frame,
      attempt: 0,
      endpoint: 'http://127.0.0.1:9',
    } as const
    await publish([doomed])
    await vi.waitFor(() => expect(gateway.fanOut.deadLetters.stats().visible).toBe(1), {
      timeout: 25_000,
      interval: 100,
    })
    expect(gateway.fanOut.deadLetters.bodies().map((body) => JSON.parse(body))).toEqual([doomed])
    expect(gateway.fanOut.queue.stats()).toEqual({ visible: 0, inFlight: 0 })
    expect(logLines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^warning fanout\\.deadLetter: a fan-out job of room "doomed" \\(shard 0, attempt 0\\) was received ${maxReceiveCount} times`,
        ),
      ),
    )
    expect(member?.client.frames).toEqual([])
  }, 30_000)

  it('dead-letters a job the worker cannot read after maxReceiveCount receives', {
    timeout: 30_000,
  }, async () => {
    const before = gateway.fanOut.deadLetters.stats().visible
    expect(await gateway.fanOut.queue.sendBatch([{ id: 'bad', body: '{"v":2,"roomName":"big"}' }])).toEqual({
      failed: [],
    })
    await vi.waitFor(() => expect(gateway.fanOut.deadLetters.stats().visible).toBe(before + 1), {
      timeout: 20_000,
      interval: 100,
    })
    expect(gateway.fanOut.deadLetters.bodies()).toContain('{"v":2,"roomName":"big"}')
    expect(logLines).toContainEqual(
      expect.stringMatching(/^warning fanout\.deadLetter: an unreadable fan-out job \("\{\\"v\\":2/),
    )
  })

  it('shows the queues to the operator view (/inspect/api/fanout), dead-lettered jobs described', async () => {
    const response = await fetch(`${gateway.managementEndpoint}/inspect/api/fanout`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({
      visibilityTimeoutMs,
      maxReceiveCount,
      queue: { visible: 0, inFlight: 0 },
      deadLetters: {
        visible: 2,
        inFlight: 0,
        jobs: [
          'a fan-out job of room "doomed" (shard 0, attempt 0)',
          'an unreadable fan-out job ("{\\"v\\":2,\\"roomName\\":\\"big\\"}")',
        ],
      },
    })
  })

  it('takes its large-room options over the variables, reads a variable only when its option is unset, and refuses a bad one', async () => {
    const saved = { ...process.env }
    process.env.CHATDB_LARGE_ROOM_THRESHOLD = 'abc'
    process.env.CHATDB_LARGE_ROOM_SHARDS = '8'
    try {
      const other = await startGateway({
        port: 0,
        documentClient: t.documentClient,
        tableName: t.tableName,
        largeRoomThreshold: 10,
      })
      await other.close()
      const refused = await startGateway({
        port: 0,
        documentClient: t.documentClient,
        tableName: t.tableName,
      }).then(
        (g) => g.close().then(() => 'started'),
        (error: unknown) => (isChatDbError(error, 'validation.option') ? error.message : `other: ${error}`),
      )
      expect(refused).toContain('CHATDB_LARGE_ROOM_THRESHOLD')
      const badShards = await startGateway({
        port: 0,
        documentClient: t.documentClient,
        tableName: t.tableName,
        largeRoomThreshold: 10,
        largeRoomShards: 0,
      }).then(
        (g) => g.close().then(() => 'started'),
        (error: unknown) => (isChatDbError(error, 'validation.option') ? error.message : `other: ${error}`),
      )
      expect(badShards).toContain('largeRoomShards')
    } finally {
      process.env = saved
    }
  })
})
