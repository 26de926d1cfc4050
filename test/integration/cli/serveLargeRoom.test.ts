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
})
