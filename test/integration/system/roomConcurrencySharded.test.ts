import { describe, expect, it } from 'vitest'
import { roomListingPartition, roomListingShard } from '../../../src/keys.js'
import { mapWithConcurrency } from '../../../src/util/concurrency.js'
import { useTestTable } from '../../support/dynamo.js'
import { prng, scanAll } from '../../support/scan.js'

/**
 * roomConcurrency.test.ts's scenarios again with the listing spread over 4 shards: the upkeep's
 * claim and apply only change partition, so the same guarantee must hold.
 */
const SHARDS = 4
const t = useTestTable()

async function roomRecords(roomName: string) {
  return (await scanAll(t.documentClient, t.tableName)).filter(
    (i) => String(i.pk).startsWith('Room') && i.data === roomName,
  )
}

describe('room upkeep under concurrency, 4 listing shards', () => {
  it('leaves exactly one room record, in its shard, after 50 concurrent first subscribes', async () => {
    const repo = t.repository({ roomListingShards: SHARDS })
    const roomName = 'stampede'
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        repo.subscribe({ roomName, connectionId: `c${i}`, userName: `u${i}` }),
      ),
    )
    expect(results.filter((r) => r.transition === 'created')).toHaveLength(1)
    expect(await roomRecords(roomName)).toMatchObject([
      { pk: roomListingPartition(roomListingShard(roomName, SHARDS)) },
    ])
    expect((await repo.activeRooms()).filter((r) => r.roomName === roomName)).toHaveLength(1)
    expect(await repo.connectionsInRoom(roomName)).toHaveLength(50)
  })

  it.each([1, 2, 3])(
    'lists each room iff it has subscribers after 320 random concurrent operations (seed %i)',
    async (seed) => {
      const repo = t.repository({ roomListingShards: SHARDS })
      const random = prng(seed)
      // Enough rooms that several shards take part.
      const rooms = Array.from({ length: 8 }, (_, i) => `s${seed}-room${i}`)
      expect(new Set(rooms.map((r) => roomListingShard(r, SHARDS))).size).toBeGreaterThan(1)
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
      const paged = (await repo.activeRoomsPage({ limit: 3 })).rooms
      for (const roomName of rooms) {
        const subscribers = await repo.connectionsInRoom(roomName)
        expect({ roomName, listed: listed.has(roomName) }).toEqual({
          roomName,
          listed: subscribers.length > 0,
        })
        const records = await roomRecords(roomName)
        const snapshot = await repo.roomSnapshot(roomName)
        if (snapshot.state) {
          // Settled: one record, in the room's shard, whose state and version are the guard's.
          expect(records).toHaveLength(1)
          expect(records[0]).toMatchObject({
            pk: roomListingPartition(roomListingShard(roomName, SHARDS)),
            active: snapshot.state.listed,
            version: snapshot.state.version,
          })
        } else {
          expect(records).toHaveLength(0)
        }
      }
      for (const room of paged) expect(listed.has(room.roomName)).toBe(true)
    },
  )
})
