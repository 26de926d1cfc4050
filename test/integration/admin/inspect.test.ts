import { beforeEach, describe, expect, it } from 'vitest'
import { inspectConnection, inspectRoom, inspectRooms, inspectUser } from '../../../src/admin/inspect.js'
import { connectionOf, dataset, seededTable } from '../../support/adminTables.js'
import { useTestTable } from '../../support/dynamo.js'

describe('src/admin/inspect', () => {
  const t = useTestTable()

  beforeEach(() => t.counter.reset())

  describe('inspectRooms, inspectRoom, inspectUser, inspectConnection', () => {
    it('lists rooms with subscriber counts, shows a room, a user and a connection', async () => {
      const { repository, store } = await seededTable(t)
      const rooms = await inspectRooms(repository, store)
      // Rooms come in creation order; seeding creates them in parallel, so compare as sets.
      const byName = (a: { roomName: string }, b: { roomName: string }) =>
        a.roomName.localeCompare(b.roomName)
      expect(rooms.sort(byName).map((r) => [r.roomName, r.active, r.subscribers])).toEqual(
        [...dataset.rooms].sort(byName).map((r) => [r.roomName, true, r.subscribers.length]),
      )
      t.counter.reset()
      const general = await inspectRoom(repository, 'general', { limit: 3 })
      expect(t.counter.counts()).toEqual({ Query: 2 })
      expect(general?.users).toEqual([...(dataset.rooms[0]?.subscribers ?? [])].sort())
      expect(general?.messages.map((m) => m.message)).toEqual(
        dataset.messages
          .filter((m) => m.roomName === 'general')
          .slice(-3)
          .map((m) => m.message),
      )
      const ada = await inspectUser(repository, 'ada')
      expect(ada?.map((g) => g.roomName)).toEqual(['dynamodb', 'general', 'release-planning'])
      expect(await inspectConnection(repository, connectionOf('ada'))).toHaveLength(3)
      expect(await inspectRoom(repository, 'nowhere')).toBeUndefined()
      expect(await inspectUser(repository, 'nobody')).toBeUndefined()
      expect(await inspectConnection(repository, 'gone=')).toBeUndefined()
    })
  })
})
