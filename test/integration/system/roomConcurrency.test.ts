import { describe, expect, it } from 'vitest'
import { mapWithConcurrency } from '../../../src/util/concurrency.js'
import { useTestTable } from '../../support/dynamo.js'
import { prng, scanAll } from '../../support/scan.js'

const t = useTestTable()

async function roomRecords(roomName: string) {
  return (await scanAll(t.documentClient, t.tableName)).filter((i) => i.pk === 'Room' && i.data === roomName)
}

describe('room upkeep under concurrency', () => {
  it('leaves exactly one room record and one listing after 50 concurrent first subscribes', async () => {
    const repo = t.repository()
    const roomName = 'stampede'
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        repo.subscribe({ roomName, connectionId: `c${i}`, userName: `u${i}` }),
      ),
    )
    expect(results.filter((r) => r.transition === 'created')).toHaveLength(1)
    expect(await roomRecords(roomName)).toHaveLength(1)
    expect((await repo.activeRooms()).filter((r) => r.roomName === roomName)).toHaveLength(1)
    expect(await repo.connectionsInRoom(roomName)).toHaveLength(50)
  })

  it.each([1, 2, 3])(
    'lists each room iff it has subscribers after 320 random concurrent operations (seed %i)',
    async (seed) => {
      const repo = t.repository()
      const random = prng(seed)
      const rooms = Array.from({ length: 5 }, (_, i) => `s${seed}-room${i}`)
      const connections = Array.from({ length: 12 }, (_, i) => `s${seed}-conn${i}`)
      const operations = Array.from({ length: 320 }, (): (() => Promise<unknown>) => {
        const roll = random.next()
        const roomName = random.pick(rooms)
        const connectionId = random.pick(connections)
        if (roll < 0.5) return () => repo.subscribe({ roomName, connectionId, userName: connectionId })
        if (roll < 0.85) return () => repo.unsubscribe({ roomName, connectionId })
        return () => repo.removeConnection(connectionId)
      })
      await mapWithConcurrency(operations, 40, (operation) => operation())

      const listed = new Set((await repo.activeRooms()).map((r) => r.roomName))
      for (const roomName of rooms) {
        const subscribers = await repo.connectionsInRoom(roomName)
        expect({ roomName, listed: listed.has(roomName) }).toEqual({
          roomName,
          listed: subscribers.length > 0,
        })
        const records = await roomRecords(roomName)
        const snapshot = await repo.roomSnapshot(roomName)
        if (snapshot.state) {
          // Settled: one record whose state and version are the guard's.
          expect(records).toHaveLength(1)
          expect(records[0]).toMatchObject({ active: snapshot.state.listed, version: snapshot.state.version })
        } else {
          expect(records).toHaveLength(0)
        }
      }
    },
  )
})
