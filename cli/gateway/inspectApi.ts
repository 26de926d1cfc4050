import type { IncomingMessage, ServerResponse } from 'node:http'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { inspectActivity } from '../../src/admin/inspectActivity.js'
import { inspectRoom, type RoomDetails } from '../../src/admin/inspectRoom.js'
import { inspectRooms } from '../../src/admin/inspectRooms.js'
import { inspectTable } from '../../src/admin/inspectTable.js'
import { inspectUser } from '../../src/admin/inspectUser.js'
import { fromEnvironment } from '../../src/config/fromEnvironment.js'
import { isChatDbError } from '../../src/errors.js'
import { createChatRepository } from '../../src/repository/chatRepository.js'
import { createTableStore } from '../../src/repository/tableStore.js'
import { assertRoomName, assertUserName } from '../../src/validation.js'

/** Answers one `/inspect/api/…` request; `false` when the path is not one of them. */
export type InspectApi = (request: IncomingMessage, response: ServerResponse) => Promise<boolean>

const PREFIX = '/inspect/api/'

function send(response: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body)
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  })
  response.end(text)
}

/**
 * A room as the page shows it: members by name and join time. Connection ids stay out of the
 * browser, where a page could post to them (`chatdb inspect room` still shows them).
 */
function withoutConnectionIds(room: RoomDetails) {
  return {
    ...room,
    subscribers: room.subscribers.map(({ userName, subscribedAt, shard }) => ({
      userName,
      subscribedAt,
      shard,
    })),
  }
}

/**
 * The operator view's read-only JSON API, over the same functions as `chatdb inspect`:
 * `table` (counts by entity), `rooms`, `room?name=<name>` (members by name and latest messages;
 * of a large room its shards, its counted subscribers and a sample of its members),
 * `user?name=<name>` (history, empty for a user who has not posted), `activity` (messages per
 * minute over the last hour, per room) and, in the local gateway, `fanout` (the in-process
 * fan-out queue of large rooms). `room/<name>` and `user/<name>` work too, for names a browser
 * leaves alone (it normalises `.` and `..` away). Names are validated (400 with the validation
 * code); an unknown room answers 404.
 * Only GET (and HEAD) are answered: nothing here writes.
 *
 * @example
 * const api = createInspectApi({ documentClient, tableName: 'chat' })
 * createServer(async (request, response) => {
 *   if (!(await api(request, response))) response.writeHead(404).end()
 * })
 */
export function createInspectApi({
  documentClient,
  tableName,
  fanOut,
}: {
  documentClient: DynamoDBDocumentClient
  tableName: string
  /** What `fanout` answers: the local fan-out queue's state (`startGateway`), once it runs. */
  fanOut?: () => unknown
}): InspectApi {
  // An operator's view, like `chatdb inspect`: no protocol caps apply to reading. The listing
  // and history shards come from the environment, as for the gateway's handlers.
  const { roomListingShards, ...historyShards } = fromEnvironment(process.env, [
    'roomListingShards',
    'userHistoryShards',
    'userHistoryReadShards',
  ])
  const repository = createChatRepository({ documentClient, tableName, roomListingShards, ...historyShards })
  const store = createTableStore({ documentClient, tableName, roomListingShards })

  async function named(kind: 'room' | 'user', name: string): Promise<[number, unknown]> {
    try {
      if (kind === 'room') {
        // The page polls every few seconds: a large room is told by its counters and a
        // sample of members, not read whole on each poll (`chatdb inspect room` reads it exactly).
        const room = await inspectRoom(repository, assertRoomName(name), { exact: false })
        return room
          ? [200, withoutConnectionIds(room)]
          : [404, { error: { code: 'not_found', message: 'no such room' } }]
      }
      // A member who has not posted has no history yet: that is an answer, not a missing page.
      const history = await inspectUser(repository, assertUserName(name))
      return [200, { userName: name, rooms: history ?? [] }]
    } catch (error) {
      if (isChatDbError(error) && error.code.startsWith('validation.')) {
        return [400, { error: { code: error.code, message: error.message } }]
      }
      throw error
    }
  }

  async function answer(url: URL): Promise<[number, unknown]> {
    const [kind, ...rest] = url.pathname.slice(PREFIX.length).split('/')
    if (rest.length === 0) {
      if (kind === 'table') {
        const report = await inspectTable(store)
        return report ? [200, report] : [404, { error: { code: 'not_found', message: 'no such table' } }]
      }
      if (kind === 'rooms') return [200, (await inspectRooms(repository, store)).rooms]
      if (kind === 'activity') return [200, await inspectActivity(repository, store)]
      // `?name=`: browsers normalise `.` and `..` (also `%2E`) in a path, never in a query.
      const name = url.searchParams.get('name')
      if ((kind === 'room' || kind === 'user') && name !== null) return named(kind, name)
      const queues = kind === 'fanout' ? fanOut?.() : undefined
      if (queues !== undefined) return [200, queues]
    }
    if (rest.length === 1 && (kind === 'room' || kind === 'user')) {
      try {
        return named(kind, decodeURIComponent(rest[0] as string))
      } catch {
        return [
          400,
          { error: { code: 'validation.encoding', message: 'the name is not valid URL encoding' } },
        ]
      }
    }
    return [404, { error: { code: 'not_found', message: 'no such inspect endpoint' } }]
  }

  return async (request, response) => {
    let url: URL
    try {
      url = new URL(request.url ?? '/', 'http://gateway')
    } catch {
      return false
    }
    if (!url.pathname.startsWith(PREFIX)) return false
    request.resume()
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD')
      send(response, 405, {
        error: { code: 'method_not_allowed', message: 'the operator view is read-only' },
      })
      return true
    }
    const [status, body] = await answer(url)
    send(response, status, body)
    return true
  }
}
