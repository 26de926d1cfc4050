import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDocumentClient } from '../../../src/client.js'
import { ROOM_STATE_SORT_KEY } from '../../../src/keys.js'
import { createChatRepository } from '../../../src/repository/chatRepository.js'
import { useTestTable } from '../../support/dynamo.js'
import { type DynamoProxy, type ProxyRule, startDynamoProxy } from '../../support/dynamoProxy.js'
import { prng, scanAll } from '../../support/scan.js'

/**
 * A small room's last leaver and a joiner at once, with the leaver's requests (and, in the
 * randomized rounds, everyone's) going through a proxy that delays or holds them on the wire.
 * The race: the leaver reads the room empty; the joiner subscribes and its settle sees the room
 * still listed; then the leaver's claim lands and unlists the room the joiner is in.
 */
const t = useTestTable()
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Whether the guard's request is a claim: a PutItem of the room's RoomState item. */
function isClaim(operation: string, body: Record<string, unknown>): boolean {
  const item = body.Item as { sk?: { S?: string } } | undefined
  return operation === 'PutItem' && item?.sk?.S === ROOM_STATE_SORT_KEY
}

/** Rooms (of `roomNames`) whose listing disagrees with their subscribers, or whose record is not the guard's. */
async function wrongRooms(roomNames: readonly string[]) {
  const repo = t.repository()
  const listed = new Set((await repo.activeRooms()).map((r) => r.roomName))
  const items = await scanAll(t.documentClient, t.tableName)
  const wrong: { roomName: string; listed: boolean; subscribers: number; records: unknown[] }[] = []
  for (const roomName of roomNames) {
    const snapshot = await repo.roomSnapshot(roomName)
    const records = items
      .filter((i) => i.pk === 'Room' && i.data === roomName)
      .map((i) => ({ active: i.active, version: i.version }))
    const settled =
      records.length === 1 &&
      records[0]?.active === snapshot.state?.listed &&
      records[0]?.version === snapshot.state?.version
    if (listed.has(roomName) !== snapshot.subscribers.length > 0 || !settled) {
      wrong.push({
        roomName,
        listed: listed.has(roomName),
        subscribers: snapshot.subscribers.length,
        records,
      })
    }
  }
  return wrong
}

describe('a small room’s last leaver and a joiner at once', () => {
  let proxy: DynamoProxy
  let rule: ProxyRule = (_operation, body) => ({ forward: body })
  let client: DynamoDBDocumentClient
  beforeAll(async () => {
    proxy = await startDynamoProxy((operation, body, index) => rule(operation, body, index))
    client = createDocumentClient({ endpoint: proxy.endpoint, region: 'local' })
  })
  afterAll(async () => {
    client.destroy()
    await proxy.close()
  })
  /** A process whose requests go through the proxy. */
  const throughProxy = () =>
    createChatRepository({ documentClient: client, tableName: t.tableName, batchWrite: { baseDelayMs: 1 } })

  it.each(['unsubscribe', '$disconnect'] as const)(
    'keeps the room listed when the leaver’s claim (%s) lands after the joiner has joined',
    async (leave) => {
      const roomName = `held-${leave}`
      const repo = t.repository()
      await repo.subscribe({ roomName, connectionId: `${roomName}-m`, userName: 'm' })
      // The leaver's first claim waits on the wire until the joiner's subscribe is done.
      let held: () => void = () => {}
      const claimHeld = new Promise<void>((resolve) => {
        held = resolve
      })
      let release: () => void = () => {}
      const released = new Promise<void>((resolve) => {
        release = resolve
      })
      let holding = true
      rule = async (operation, body) => {
        if (holding && isClaim(operation, body)) {
          holding = false
          held()
          await released
        }
        return { forward: body }
      }
      const leaver = throughProxy()
      const leaving =
        leave === 'unsubscribe'
          ? leaver.unsubscribe({ roomName, connectionId: `${roomName}-m` })
          : leaver.removeConnection(`${roomName}-m`)
      await claimHeld
      // The leaver read the room empty and is about to unlist it; a member joins and sees it listed.
      const joined = await repo.subscribe({ roomName, connectionId: `${roomName}-j`, userName: 'j' })
      expect(joined).toMatchObject({ subscribed: true, transition: undefined })
      release()
      await leaving
      rule = (_operation, body) => ({ forward: body })
      expect(await wrongRooms([roomName])).toEqual([])
      expect((await repo.activeRooms()).map((r) => r.roomName)).toContain(roomName)
    },
  )

  it('lists each room iff it has subscribers after 100 rounds of leavers and a joiner, 0–5 ms of delay per request', async () => {
    const random = prng(20)
    // Every request of every process waits 0–5 ms on the wire before it reaches the table.
    rule = async (_operation, body) => {
      await sleep(random.next() * 5)
      return { forward: body }
    }
    const processes = [throughProxy(), throughProxy(), throughProxy()]
    const setUp = t.repository()
    const rooms = Array.from({ length: 100 }, (_, round) => `race${round}`)
    // Twenty rooms at a time: each round is its own room, so rounds do not disturb each other.
    for (let from = 0; from < rooms.length; from += 20) {
      await Promise.all(
        rooms.slice(from, from + 20).map(async (roomName) => {
          // One or two members (set up without delay), who all leave, by unsubscribe or
          // $disconnect, as one joins.
          const members = Array.from({ length: 1 + random.int(2) }, (_, i) => `${roomName}-m${i}`)
          for (const connectionId of members) {
            await setUp.subscribe({ roomName, connectionId, userName: connectionId })
          }
          const joiner = random.pick(processes)
          await Promise.all([
            ...members.map((connectionId) => {
              const repo = random.pick(processes)
              return random.next() < 0.5
                ? repo.unsubscribe({ roomName, connectionId })
                : repo.removeConnection(connectionId)
            }),
            sleep(random.next() * 5).then(() =>
              joiner.subscribe({ roomName, connectionId: `${roomName}-j`, userName: 'j' }),
            ),
          ])
        }),
      )
    }
    rule = (_operation, body) => ({ forward: body })
    const wrong = await wrongRooms(rooms)
    expect({ wrong: wrong.length, rooms: wrong }).toEqual({ wrong: 0, rooms: [] })
  }, 60_000)
})
