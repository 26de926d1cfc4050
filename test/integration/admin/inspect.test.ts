import { beforeEach, describe, expect, it } from 'vitest'
import { inspectActivity, messagesPerMinute } from '../../../src/admin/inspectActivity.js'
import { inspectConnection } from '../../../src/admin/inspectConnection.js'
import { inspectRoom } from '../../../src/admin/inspectRoom.js'
import { inspectRooms } from '../../../src/admin/inspectRooms.js'
import { inspectUser } from '../../../src/admin/inspectUser.js'
import { connectionOf, dataset, seededTable } from '../../support/adminTables.js'
import { createTestTable, useTestTable } from '../../support/dynamo.js'
import { copyRoomUnderName } from '../../support/unreadableRoom.js'

describe('src/admin/inspect*: rooms, room, user, connection, activity', () => {
  const t = useTestTable()

  beforeEach(() => t.counter.reset())

  describe('inspectRooms, inspectRoom, inspectUser, inspectConnection', () => {
    it('lists rooms with subscriber counts, shows a room, a user and a connection', async () => {
      const { repository, store } = await seededTable(t)
      const { rooms, unreadable } = await inspectRooms(repository, store)
      expect(unreadable).toEqual([])
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

  describe('inspectRooms', () => {
    it('reports a room under a name chatdb refuses, counted apart, and lists the others', async () => {
      const tableName = await createTestTable(t.documentClient, 'unreadable')
      const repository = t.repository({ tableName })
      for (const roomName of ['good', 'badxroom'])
        await repository.subscribe({ roomName, connectionId: 'AAAAAAAAAAAAAAA=', userName: 'ada' })
      await copyRoomUnderName(t.documentClient, tableName, 'badxroom', 'bad|room')
      const { rooms, unreadable } = await inspectRooms(repository, t.store(tableName))
      expect(rooms.map((r) => [r.roomName, r.subscribers]).sort()).toEqual([
        ['badxroom', 1],
        ['good', 1],
      ])
      expect(unreadable).toEqual([
        {
          roomName: 'bad|room',
          code: 'validation.roomName',
          reason: 'roomName must not contain "|" (the key delimiter)',
        },
      ])
      // The operator view's activity (a page, not a report) leaves it out and shows the others.
      expect((await inspectActivity(repository, t.store(tableName))).map((r) => r.roomName)).toEqual([
        'badxroom',
        'good',
      ])
    })
  })

  describe('messagesPerMinute, inspectActivity', () => {
    it('counts a room’s messages, and per minute over the last hour, two Queries per room', async () => {
      const { repository, store } = await seededTable(t)
      const general = dataset.messages.filter((m) => m.roomName === 'general')
      const now = Math.max(...general.map((m) => m.time))
      const minute = (time: number) => Math.floor(time / 60_000)
      const perMinute = await messagesPerMinute(repository, 'general', { now })
      expect(t.counter.counts()).toEqual({ Query: 1 })
      expect(perMinute).toHaveLength(60)
      expect(perMinute.at(-1)).toBe(general.filter((m) => minute(m.time) === minute(now)).length)
      expect(perMinute.reduce((a, b) => a + b, 0)).toBe(
        general.filter((m) => minute(now) - minute(m.time) < 60).length,
      )
      // An hour later every one of them has left the window.
      expect(await messagesPerMinute(repository, 'general', { now: now + 3_600_000 })).toEqual(
        new Array(60).fill(0),
      )
      t.counter.reset()
      const activity = await inspectActivity(repository, store, { now })
      expect(t.counter.counts()).toEqual({ Query: 1 + 2 * dataset.rooms.length })
      expect(activity.map((a) => a.roomName)).toEqual(dataset.rooms.map((r) => r.roomName).sort())
      expect(activity.find((a) => a.roomName === 'general')).toMatchObject({
        perMinute,
        messages: general.length,
      })
      for (const room of activity) {
        expect(room.messages).toBe(dataset.messages.filter((m) => m.roomName === room.roomName).length)
      }
    })
  })
})
