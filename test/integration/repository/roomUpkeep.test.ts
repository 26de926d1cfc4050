import { describe, expect, it } from 'vitest'
import { createRoomUpkeep } from '../../../src/repository/roomUpkeep.js'
import { useTestTable } from '../../support/dynamo.js'
import { scanAll } from '../../support/scan.js'

const t = useTestTable()

async function roomRecords(roomName: string) {
  return (await scanAll(t.documentClient, t.tableName)).filter((i) => i.pk === 'Room' && i.data === roomName)
}

describe('createRoomUpkeep', () => {
  describe('apply', () => {
    it('undoes a stale claim whose put lands after a newer claim removed that key', async () => {
      const repo = t.repository()
      const upkeep = createRoomUpkeep({
        entities: t.store().entities,
        now: Date.now,
        readSnapshot: repo.roomSnapshot,
      })
      const room = { roomName: 'late', createdAt: 1_700_000_000_000 }
      // v6 (not listed) is applied in full; then the writer of v5 (listed) wakes up and applies.
      await upkeep.apply({ ...room, listed: false, version: 6 })
      await upkeep.apply({ ...room, listed: true, version: 5 })
      const records = await roomRecords('late')
      expect(records).toHaveLength(1)
      expect(records[0]).toMatchObject({ active: false, version: 6 })
    })

    it('lets the newest claim win whatever order the writes arrive in', async () => {
      const repo = t.repository()
      const upkeep = createRoomUpkeep({
        entities: t.store().entities,
        now: Date.now,
        readSnapshot: repo.roomSnapshot,
      })
      const room = { roomName: 'order', createdAt: 1_700_000_000_001 }
      const claims = [
        { ...room, listed: true, version: 1 },
        { ...room, listed: false, version: 2 },
        { ...room, listed: true, version: 3 },
        { ...room, listed: false, version: 4 },
      ]
      for (const order of [
        [3, 0, 2, 1],
        [1, 3, 0, 2],
      ]) {
        for (const index of order) await upkeep.apply(claims[index] as (typeof claims)[number])
        const records = await roomRecords('order')
        expect(records).toHaveLength(1)
        expect(records[0]).toMatchObject({ active: false, version: 4 })
      }
    })
  })

  describe('settle', () => {
    it('does nothing, and sends nothing, when the guard already agrees', async () => {
      const repo = t.repository()
      await repo.subscribe({ roomName: 'calm', connectionId: 'c1', userName: 'ada' })
      const snapshot = await repo.roomSnapshot('calm')
      const upkeep = createRoomUpkeep({
        entities: t.store().entities,
        now: Date.now,
        readSnapshot: repo.roomSnapshot,
      })
      t.counter.reset()
      expect(await upkeep.settle(snapshot)).toBeUndefined()
      expect(t.counter.total()).toBe(0)
    })

    it('reads the room again after its claim, and lists the room again when a member joined meanwhile', async () => {
      const repo = t.repository()
      await repo.subscribe({ roomName: 'rejoined', connectionId: 'c1', userName: 'ada' })
      // What the last leaver c1 read after its departure: the room empty, its guard v1 listed.
      const leaversRead = { ...(await repo.roomSnapshot('rejoined')), subscribers: [] }
      // Before its claim lands, c2 joins (the guard says listed: nothing to claim) and c1's
      // departure is in place.
      await repo.subscribe({ roomName: 'rejoined', connectionId: 'c2', userName: 'bob' })
      await repo.unsubscribe({ roomName: 'rejoined', connectionId: 'c1' })
      const upkeep = createRoomUpkeep({
        entities: t.store().entities,
        now: Date.now,
        readSnapshot: repo.roomSnapshot,
      })
      t.counter.reset()
      // The late claim (v2, not listed) lands; the read after it finds c2 and lists the room again.
      expect(await upkeep.settle(leaversRead)).toBe('reactivated')
      expect(t.counter.counts()).toEqual({ PutItem: 4, DeleteItem: 2, Query: 2 })
      expect((await repo.activeRooms()).map((r) => r.roomName)).toContain('rejoined')
      expect(await roomRecords('rejoined')).toMatchObject([{ active: true, version: 3 }])
    })

    it('gives up with store.contention when every claim loses', async () => {
      const repo = t.repository()
      await repo.subscribe({ roomName: 'busy', connectionId: 'c1', userName: 'ada' })
      const stale = { ...(await repo.roomSnapshot('busy')), subscribers: [] }
      // The guard moves on (v1 -> v2 -> v3) while this caller keeps re-reading an old view.
      await repo.unsubscribe({ roomName: 'busy', connectionId: 'c1' })
      await repo.subscribe({ roomName: 'busy', connectionId: 'c1', userName: 'ada' })
      const upkeep = createRoomUpkeep({
        entities: t.store().entities,
        now: Date.now,
        readSnapshot: async () => stale,
        maxAttempts: 3,
      })
      t.counter.reset()
      const error = await upkeep.settle(stale).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'store.contention' })
      expect(t.counter.counts()).toEqual({ PutItem: 3 })
      expect((await repo.activeRooms()).map((r) => r.roomName)).toContain('busy')
    })
  })
})
