import { describe, expect, it } from 'vitest'
import { reconcileRooms } from '../../../src/admin/cleanup.js'
import { inspectRooms } from '../../../src/admin/inspectRooms.js'
import { hasChatData } from '../../../src/admin/seedTable.js'
import { roomListingPartition, roomListingShard } from '../../../src/keys.js'
import { createTableStore } from '../../../src/repository/tableStore.js'
import { createTestTable, useTestTable } from '../../support/dynamo.js'
import { scanAll } from '../../support/scan.js'

/** The operator functions over a listing spread over shards, and after its shard count changed. */
describe('admin readers and cleanup with listing shards', () => {
  const t = useTestTable()
  const rooms = Array.from({ length: 12 }, (_, i) => `room-${i}`)

  async function tableWritten(shards: number) {
    const tableName = await createTestTable(t.documentClient, 'admin-shards')
    const repository = t.repository({ tableName, roomListingShards: shards })
    for (const [i, roomName] of rooms.entries()) {
      await repository.subscribe({ roomName, connectionId: `c-${i}`, userName: 'ada' })
      if (i % 4 === 3) await repository.unsubscribe({ roomName, connectionId: `c-${i}` })
    }
    return tableName
  }

  const records = async (tableName: string) =>
    (await scanAll(t.documentClient, tableName)).filter((item) => item._et === 'Room')

  it('inspect rooms and hasChatData read every shard', async () => {
    const tableName = await tableWritten(4)
    const repository = t.repository({ tableName, roomListingShards: 4 })
    const store = createTableStore({ documentClient: t.documentClient, tableName, roomListingShards: 4 })
    const { rooms: summaries } = await inspectRooms(repository, store)
    expect(summaries.map((s) => s.roomName)).toEqual(rooms)
    expect(summaries.filter((s) => s.active).map((s) => s.roomName)).toEqual(
      rooms.filter((_, i) => i % 4 !== 3),
    )
    expect(await hasChatData(store)).toBe(true)
  })

  it('cleanup rooms relocates records left in other shards by a change of the shard count', async () => {
    const tableName = await tableWritten(1)
    const repository = t.repository({ tableName, roomListingShards: 3 })
    const store = createTableStore({ documentClient: t.documentClient, tableName, roomListingShards: 3 })
    // Sorted as reconcileRooms goes through names.
    const misplaced = rooms.filter((roomName) => roomListingShard(roomName, 3) !== 0).sort()
    // Before: the sharded repository does not list the rooms whose records are in the wrong shard.
    const listedBefore = (await repository.activeRooms()).map((r) => r.roomName)
    for (const roomName of misplaced) expect(listedBefore).not.toContain(roomName)

    const dry = await reconcileRooms(repository, store, { dryRun: true })
    expect(dry.changes).toEqual(misplaced.map((roomName) => ({ roomName, action: 'relocated' })))
    expect((await records(tableName)).every((r) => r.pk === 'Room')).toBe(true)

    const before = await records(tableName)
    const { changes } = await reconcileRooms(repository, store)
    expect(changes).toEqual(misplaced.map((roomName) => ({ roomName, action: 'relocated' })))
    const after = await records(tableName)
    expect(after).toHaveLength(before.length)
    for (const record of after)
      expect(record.pk).toBe(roomListingPartition(roomListingShard(record.data as string, 3)))
    expect((await repository.activeRooms()).map((r) => r.roomName)).toEqual(
      rooms.filter((_, i) => i % 4 !== 3),
    )
    // Nothing is left to do.
    expect((await reconcileRooms(repository, store)).changes).toEqual([])
  })
})
