import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Gateway, startGateway } from '../../../../cli/gateway/startGateway.js'
import { inspectActivity, type RoomActivity } from '../../../../src/admin/inspectActivity.js'
import { inspectRoom, type RoomDetails } from '../../../../src/admin/inspectRoom.js'
import { inspectRooms } from '../../../../src/admin/inspectRooms.js'
import { inspectTable, type TableReport } from '../../../../src/admin/inspectTable.js'
import { inspectUser } from '../../../../src/admin/inspectUser.js'
import { seededTable } from '../../../support/adminTables.js'
import { useTestTable } from '../../../support/dynamo.js'

// The operator view's JSON API against a gateway on dynalite with the bundled dataset.
const t = useTestTable()
let gateway: Gateway
let seeded: Awaited<ReturnType<typeof seededTable>>

beforeAll(async () => {
  seeded = await seededTable(t)
  gateway = await startGateway({ port: 0, documentClient: t.documentClient, tableName: seeded.tableName })
})
afterAll(async () => {
  await gateway.close()
})

const get = (path: string, init?: RequestInit) => fetch(`${gateway.managementEndpoint}${path}`, init)
async function json<T = { error: { code: string } }>(path: string, status = 200): Promise<T> {
  const response = await get(path)
  expect(response.status, path).toBe(status)
  expect(response.headers.get('content-type'), path).toMatch(/^application\/json/)
  expect(response.headers.get('x-content-type-options'), path).toBe('nosniff')
  return (await response.json()) as T
}
/** What the same function answers directly, as it travels in JSON. */
const asJson = (value: unknown) => JSON.parse(JSON.stringify(value))
/** A room as the page gets it: members by name and join time, no connection ids. */
const asPage = (room: RoomDetails | undefined) =>
  asJson(
    room && {
      ...room,
      subscribers: room.subscribers.map(({ userName, subscribedAt, shard }) => ({
        userName,
        subscribedAt,
        shard,
      })),
    },
  )

describe('the operator view API (/inspect/api/…)', () => {
  it('answers table, rooms, room, user and activity with what chatdb inspect computes', async () => {
    const { repository, store } = seeded
    const table = await json<TableReport>('/inspect/api/table')
    expect(table.entities).toEqual((await inspectTable(store))?.entities)
    expect(table.entities.Message).toBeGreaterThan(0)
    expect(await json('/inspect/api/rooms')).toEqual(asJson((await inspectRooms(repository, store)).rooms))
    expect(await json('/inspect/api/room/general')).toEqual(asPage(await inspectRoom(repository, 'general')))
    expect(await json('/inspect/api/user/ada')).toEqual({
      userName: 'ada',
      rooms: asJson(await inspectUser(repository, 'ada')),
    })
    const activity = await json<RoomActivity[]>('/inspect/api/activity')
    // perMinute depends on the clock; the names and message counts do not.
    expect(activity.map(({ roomName, messages }) => ({ roomName, messages }))).toEqual(
      (await inspectActivity(repository, store)).map(({ roomName, messages }) => ({ roomName, messages })),
    )
    for (const room of activity) expect(room.perMinute).toHaveLength(60)
  })

  it('shows a large room by its shards and counted subscribers, with a sample of members', async () => {
    const repository = t.repository({
      tableName: seeded.tableName,
      largeRoomThreshold: 5,
      largeRoomShards: 4,
    })
    for (let i = 0; i < 9; i++) {
      await repository.subscribe({ roomName: 'arena', connectionId: `arena${i}=`, userName: `fan${i}` })
    }
    const room = await json<RoomDetails>('/inspect/api/room/arena')
    expect(room.large).toMatchObject({ shards: 4, subscriberCount: 9 })
    expect(room.large?.partitions).toHaveLength(5)
    // Counters, not an exact read of every shard: the page polls.
    expect(room.large?.exactSubscribers).toBeUndefined()
    expect(room.subscribers.length + (room.membersOmitted ?? 0)).toBe(9)
    expect(room.subscribers.every((s) => s.shard === -1)).toBe(true)
    expect(room).toEqual(asPage(await inspectRoom(seeded.repository, 'arena', { exact: false })))
    const rooms =
      await json<{ roomName: string; subscribers: number; shards?: number; users?: number }[]>(
        '/inspect/api/rooms',
      )
    expect(rooms.find((r) => r.roomName === 'arena')).toEqual(
      expect.objectContaining({ subscribers: 9, shards: 4 }),
    )
    expect(rooms.find((r) => r.roomName === 'arena')?.users).toBeUndefined()
  })

  it('URL-decodes names', async () => {
    const { repository } = seeded
    await repository.subscribe({ roomName: 'café au lait', connectionId: 'op-test=', userName: 'zoë' })
    const room = await json<RoomDetails>(`/inspect/api/room/${encodeURIComponent('café au lait')}`)
    expect(room.users).toEqual(['zoë'])
  })

  it('takes names in the query too, where a browser cannot normalise `.` and `..` away', async () => {
    const { repository } = seeded
    await repository.subscribe({ roomName: '..', connectionId: 'dots1=', userName: '.' })
    await repository.subscribe({ roomName: '.', connectionId: 'dots2=', userName: '..' })
    await repository.postMessage({ roomName: '..', connectionId: 'dots1=', message: 'from dot' })
    const parent = await json<RoomDetails>('/inspect/api/room?name=..')
    expect(parent).toMatchObject({ roomName: '..', users: ['.'], messages: [{ message: 'from dot' }] })
    expect((await json<RoomDetails>('/inspect/api/room?name=.')).users).toEqual(['..'])
    expect(await json('/inspect/api/user?name=.')).toMatchObject({
      userName: '.',
      rooms: [{ roomName: '..', messages: [{ message: 'from dot' }] }],
    })
    expect((await json('/inspect/api/room?name=a%7Cb', 400)).error.code).toBe('validation.roomName')
  })

  it('answers a user who has not posted with an empty history, not a 404', async () => {
    expect(await json('/inspect/api/user?name=nobody')).toEqual({ userName: 'nobody', rooms: [] })
    expect(await json('/inspect/api/user/nobody')).toEqual({ userName: 'nobody', rooms: [] })
  })

  it('answers invalid names with 400 and their validation code', async () => {
    expect((await json('/inspect/api/room/a%7Cb', 400)).error.code).toBe('validation.roomName')
    expect((await json(`/inspect/api/room/${'r'.repeat(101)}`, 400)).error.code).toBe('validation.roomName')
    expect((await json('/inspect/api/room/', 400)).error.code).toBe('validation.roomName')
    expect((await json('/inspect/api/user/%01x', 400)).error.code).toBe('validation.userName')
    expect((await json('/inspect/api/user/%E0%A4%A', 400)).error.code).toBe('validation.encoding')
  })

  it('answers unknown rooms, users and endpoints with 404', async () => {
    expect((await json('/inspect/api/room/nowhere', 404)).error.code).toBe('not_found')
    expect((await json('/inspect/api/nope', 404)).error.code).toBe('not_found')
    expect((await json('/inspect/api/room/a/b', 404)).error.code).toBe('not_found')
  })

  it('is read-only: other methods answer 405 and change nothing', async () => {
    const before = await json('/inspect/api/rooms')
    const response = await get('/inspect/api/rooms', { method: 'POST', body: '{}' })
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('GET, HEAD')
    expect((await get('/inspect/api/room/general', { method: 'DELETE' })).status).toBe(405)
    expect(await json('/inspect/api/rooms')).toEqual(before)
  })
})

describe('the operator view page (/inspect)', () => {
  it('serves its HTML, script and stylesheet with a strict CSP and nosniff, under 50 KB together', async () => {
    let total = 0
    for (const [path, type] of [
      ['/inspect', /^text\/html/],
      ['/inspect.js', /^text\/javascript/],
      ['/inspect.css', /^text\/css/],
    ] as const) {
      const response = await get(path)
      expect(response.status, path).toBe(200)
      expect(response.headers.get('content-type'), path).toMatch(type)
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff')
      const csp = response.headers.get('content-security-policy') ?? ''
      expect(csp, path).toContain("default-src 'self'")
      expect(csp, path).not.toMatch(/unsafe-inline|unsafe-eval|\*/)
      const body = await response.text()
      if (path === '/inspect') {
        expect(body).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>|<style|\sstyle=|\son[a-z]+=/i)
      }
      if (path === '/inspect.js') expect(body).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML/)
      total += Buffer.byteLength(body)
    }
    expect(total).toBeLessThan(50 * 1024)
  })
})
