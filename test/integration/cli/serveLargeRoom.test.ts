import { afterAll, describe, expect, it } from 'vitest'
import { createChatRepository } from '../../../src/repository/chatRepository.js'
import { mapWithConcurrency } from '../../../src/util/concurrency.js'
import { startCli } from '../../support/cli.js'
import { createTestTable, newDocumentClient } from '../../support/dynamo.js'
import { connectClient } from '../../support/wsClient.js'

const MEMBERS = 300
const THRESHOLD = 40

// The built CLI's `serve`: real WebSocket clients, the local gateway, the in-process fan-out queue and worker.
describe('chatdb serve with a large room', () => {
  const documentClient = newDocumentClient()
  afterAll(() => documentClient.destroy())

  it(`delivers every message to ${MEMBERS} members of a room above a low threshold`, async () => {
    // Waits for ACTIVE: dynalite answers "not found" to a table still being created.
    const table = await createTestTable(documentClient, 'serve-large')
    const server = startCli(
      ['serve', '--port', '0', '--large-room-threshold', String(THRESHOLD), '--large-room-shards', '4'],
      { table },
    )
    const clients: Awaited<ReturnType<typeof connectClient>>[] = []
    try {
      const ready = await server.ready
      expect(ready.largeRooms).toMatchObject({ threshold: THRESHOLD, shards: 4 })
      for (let i = 0; i < MEMBERS; i++) clients.push(await connectClient(ready.url as string))
      // Join a few at a time, each waiting for its state.
      const states = await mapWithConcurrency(clients, 10, async (client, i) => {
        client.send({ action: 'subscribe', roomName: 'arena', userName: `fan${i}` })
        return client.next('subscribed', undefined, 60_000)
      })
      // Below the threshold a member sees the room; above it, a count and a sample.
      expect(states[0]?.subscriberCount).toBeUndefined()
      expect(states[MEMBERS - 1]?.subscriberCount).toBeGreaterThan(MEMBERS - 20)
      const repository = createChatRepository({ documentClient, tableName: table })
      expect(await repository.largeRoomShards('arena')).toBe(4)

      const senders = [clients[0], clients[THRESHOLD + 5], clients[MEMBERS - 1]]
      for (const [s, sender] of senders.entries()) {
        for (let m = 0; m < 3; m++)
          sender?.send({ action: 'sendMessage', roomName: 'arena', message: `hello ${s}.${m}` })
      }
      const expected = senders.length * 3
      // Every member gets every message (at least once: duplicates carry the same id).
      await mapWithConcurrency(clients, 50, async (client, i) => {
        const ids = new Set<string>()
        while (ids.size < expected) {
          const frame = await client.next(
            'newMessage',
            (f) => f.type === 'newMessage' && !ids.has(f.message.id),
            60_000,
          )
          ids.add(frame.message.id)
        }
        expect(ids.size, `member ${i}`).toBe(expected)
      })
      const stored = await repository.recentMessages('arena', { limit: 50 })
      expect(stored).toHaveLength(expected)
      // No per-member presence once the room is large.
      const lateJoins = clients[0]?.frames.filter(
        (f) => f.type === 'userSubscribed' && Number(f.userName.slice(3)) > THRESHOLD + 10,
      )
      expect(lateJoins).toEqual([])
    } finally {
      for (const client of clients) client.socket.terminate()
      const { code } = await server.stop()
      expect(code).toBe(0)
    }
  }, 180_000)

  it('makes the subscribe that brings a room to the threshold its first large one, and tells the members from before', async () => {
    const table = await createTestTable(documentClient, 'serve-crossing')
    const server = startCli(
      ['serve', '--port', '0', '--large-room-threshold', '3', '--large-room-shards', '2'],
      {
        table,
      },
    )
    const clients: Awaited<ReturnType<typeof connectClient>>[] = []
    try {
      const ready = await server.ready
      for (let i = 0; i < 3; i++) clients.push(await connectClient(ready.url as string))
      const counts: (number | undefined)[] = []
      for (const [i, client] of clients.entries()) {
        client.send({ action: 'subscribe', roomName: 'corner', userName: `c${i}` })
        counts.push((await client.next('subscribed')).subscriberCount)
      }
      // The third member (the threshold) joined a large room: a count, and no announcement.
      expect(counts).toEqual([undefined, undefined, 3])
      const [first, second] = clients
      // The members from before learn the room is large from its roomStats (through the queue).
      for (const client of [first, second]) {
        expect(await client?.next('roomStats')).toEqual({
          type: 'roomStats',
          roomName: 'corner',
          subscriberCount: 3,
        })
      }
      const joined = (client: (typeof clients)[number] | undefined) =>
        client?.frames.flatMap((f) => (f.type === 'userSubscribed' ? [f.userName] : []))
      expect(joined(first)).toEqual(['c1'])
      expect(joined(second)).toEqual([])
    } finally {
      for (const client of clients) client.socket.terminate()
      const { code } = await server.stop()
      expect(code).toBe(0)
    }
  }, 60_000)
})
