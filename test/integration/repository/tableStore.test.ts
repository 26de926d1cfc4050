import { describe, expect, it } from 'vitest'
import { useTestTable } from '../../support/dynamo.js'

const t = useTestTable()

describe('createTableStore', () => {
  // One table for the file: room a with two subscribers and three messages, room b emptied.
  let seeded: Promise<void> | undefined
  const seed = () => {
    seeded ??= (async () => {
      const repository = t.repository()
      await repository.subscribe({ roomName: 'a', connectionId: 'c1=', userName: 'ada' })
      await repository.subscribe({ roomName: 'a', connectionId: 'c2=', userName: 'bob' })
      await repository.subscribe({ roomName: 'b', connectionId: 'c3=', userName: 'cy' })
      await repository.unsubscribe({ roomName: 'b', connectionId: 'c3=' })
      for (const [id, time] of [
        ['m1', 1_000],
        ['m2', 2_000],
        ['m3', 3_000],
      ] as const)
        await repository.postMessage({ roomName: 'a', connectionId: 'c1=', message: id, id, time })
    })()
    return seeded
  }

  describe('subscribedConnections', () => {
    it('lists connections holding a subscription, not those that left', async () => {
      await seed()
      expect(await t.store().subscribedConnections()).toEqual(['c1=', 'c2='])
    })
  })

  describe('roomRecords', () => {
    it('knows every room name and its listing records', async () => {
      await seed()
      const { names, listings } = await t.store().roomRecords()
      expect([...names].sort()).toEqual(['a', 'b'])
      const placed = { shard: 0, placed: true, createdAt: expect.any(Number) }
      expect(listings.get('a')).toEqual([{ active: true, version: 1, ...placed }])
      expect(listings.get('b')).toEqual([{ active: false, version: 2, ...placed }])
    })
  })

  describe('roomListings', () => {
    it('reads every listing record, or only the first page', async () => {
      await seed()
      const store = t.store()
      expect((await store.roomListings()).map((r) => [r.roomName, r.active]).sort()).toEqual([
        ['a', true],
        ['b', false],
      ])
      expect(await store.roomListings({ limit: 1, maxPages: 1 })).toHaveLength(1)
    })
  })

  describe('messagesBefore', () => {
    it('finds the messages older than the cutoff with the requests that delete them', async () => {
      await seed()
      const store = t.store()
      const old = await store.messagesBefore(2_500)
      expect(old.map((m) => m.roomName)).toEqual(['a', 'a'])
      await store.writeItems(old.map((m) => m.delete))
      const left = await t.repository().recentMessages('a', { limit: 10 })
      expect(left.map((m) => m.id)).toEqual(['m3'])
      expect(await store.messagesBefore(2_500)).toEqual([])
    })
  })

  describe('countByEntity', () => {
    it('counts every item by its entity', async () => {
      await seed()
      const { entities, scannedItems } = await t.store().countByEntity()
      expect(Object.fromEntries(entities)).toMatchObject({
        Room: 2,
        RoomState: 2,
        Subscription: 2,
        Departure: 1,
      })
      expect(scannedItems).toBe([...entities.values()].reduce((n, c) => n + c, 0))
    })
  })

  describe('rawPages', () => {
    it('pages raw DynamoDB JSON, pageSize items a page, up to maxPages', async () => {
      await seed()
      const store = t.store()
      const all: number[] = []
      for await (const items of store.rawPages({ pageSize: 2 })) all.push(items.length)
      const { scannedItems } = await store.countByEntity()
      expect(all.reduce((n, c) => n + c, 0)).toBe(scannedItems)
      expect(all.every((n) => n <= 2)).toBe(true)
      const first: unknown[][] = []
      for await (const items of store.rawPages({ pageSize: 2, maxPages: 1 })) first.push(items)
      expect(first).toHaveLength(1)
      expect(first[0]?.[0]).toMatchObject({ pk: { S: expect.any(String) } })
    })
  })

  describe('describe', () => {
    it('describes its table, and nothing for a missing one', async () => {
      expect((await t.store().describe())?.TableName).toBe(t.tableName)
      expect(await t.store('no-such-table').describe()).toBeUndefined()
    })
  })
})
