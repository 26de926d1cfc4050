import { randomUUID } from 'node:crypto'
import { ChatDbError } from '../../src/errors.js'
import {
  assertRoomPageLimit,
  compareRooms,
  DEFAULT_ROOM_PAGE_SIZE,
  mergeShardReads,
  startPositions,
} from '../../src/repository/roomListing.js'
import type {
  ActiveRoom,
  ChatMessage,
  RemovedSubscription,
  RoomTransition,
  Subscriber,
} from '../../src/repository/types.js'
import type { ChatServiceRepository } from '../../src/service/index.js'
import { assertConnectionId, assertRoomName, assertUserName } from '../../src/validation.js'

type Method = keyof ChatServiceRepository

interface Departure {
  userName: string
  unfinished?: boolean
}

interface MemoryRoom {
  createdAt: number
  subscribers: Map<string, Subscriber>
  /** Connections that left, with the name they held: a retried leave still knows who left. */
  departures: Map<string, Departure>
  messages: ChatMessage[]
}

/** A failure planned for the next call of one method. */
interface PlannedFailure {
  error: unknown
  /** Do the call's work first, then fail: the write landed, its answer was lost. */
  afterWork: boolean
}

export interface MemoryChatRepository extends ChatServiceRepository {
  /**
   * Makes the next call of `method` reject with `error`, before its work or (`afterWork`) after
   * it, as a request whose write landed and whose answer was lost.
   */
  failNext(method: Method, error: unknown, options?: { afterWork?: boolean }): void
  /** The `unfinished` mark on a connection's subscription or departure in a room. */
  unfinishedMark(roomName: string, connectionId: string): boolean | undefined
  /** The calls made, in order, by method name. */
  readonly calls: Method[]
}

/**
 * The repository methods the chat service uses, kept in Maps, with the semantics of
 * `createChatRepository` the service relies on: idempotent subscribe and unsubscribe, a
 * departure that keeps the name of a connection that left, `unfinished` marks that the next
 * subscribe or unsubscribe reports, `access.notSubscribed` for a post from a stranger, messages
 * stored once per id, rooms listed while they have subscribers, in creation order.
 *
 * @example
 * const repository = createMemoryChatRepository({ now: () => 1_000 })
 * const service = createChatService({ repository, broadcaster: createRecordingBroadcaster() })
 * repository.failNext('recentMessages', new Error('timed out'))
 */
export function createMemoryChatRepository(options: { now?: () => number } = {}): MemoryChatRepository {
  const now = options.now ?? Date.now
  // Map order is insertion order: rooms stay in creation order, as the room listing's sort key keeps them.
  const rooms = new Map<string, MemoryRoom>()
  const planned = new Map<Method, PlannedFailure>()
  const calls: Method[] = []

  const roomOf = (roomName: string): MemoryRoom => {
    let room = rooms.get(roomName)
    if (!room) {
      room = { createdAt: now(), subscribers: new Map(), departures: new Map(), messages: [] }
      rooms.set(roomName, room)
    }
    return room
  }
  // The real repository answers subscribers in sort-key order: by connection id.
  const subscribersOf = (room: MemoryRoom) =>
    [...room.subscribers.values()]
      .map((s) => ({ ...s }))
      .sort((a, b) => (a.connectionId < b.connectionId ? -1 : a.connectionId > b.connectionId ? 1 : 0))
  const emptied = (room: MemoryRoom, before: number): RoomTransition | undefined =>
    before > 0 && room.subscribers.size === 0 ? 'emptied' : undefined

  /** Runs one call, honouring a failure planned for its method. */
  async function call<T>(method: Method, work: () => T): Promise<T> {
    calls.push(method)
    const failure = planned.get(method)
    planned.delete(method)
    if (failure && !failure.afterWork) throw failure.error
    const result = work()
    if (failure) throw failure.error
    return result
  }

  return {
    calls,

    failNext(method, error, { afterWork = false } = {}) {
      planned.set(method, { error, afterWork })
    },

    unfinishedMark(roomName, connectionId) {
      const room = rooms.get(roomName)
      return (room?.subscribers.get(connectionId) ?? room?.departures.get(connectionId))?.unfinished
    },

    subscribe(input) {
      return call('subscribe', () => {
        const roomName = assertRoomName(input.roomName)
        const connectionId = assertConnectionId(input.connectionId)
        const userName = assertUserName(input.userName)
        const isNew = !rooms.has(roomName)
        const room = roomOf(roomName)
        const before = room.subscribers.size
        const own = room.subscribers.get(connectionId)
        if (!own) {
          room.departures.delete(connectionId)
          room.subscribers.set(connectionId, { connectionId, userName, subscribedAt: now() })
        }
        const transition: RoomTransition | undefined = isNew
          ? 'created'
          : before === 0 && !own
            ? 'reactivated'
            : undefined
        return {
          layout: 'small' as const,
          subscribed: !own,
          unfinished: own?.unfinished === true,
          userName: own?.userName ?? userName,
          subscribers: subscribersOf(room),
          transition,
        }
      })
    },

    unsubscribe(input) {
      return call('unsubscribe', () => {
        const roomName = assertRoomName(input.roomName)
        const connectionId = assertConnectionId(input.connectionId)
        const room = roomOf(roomName)
        const before = room.subscribers.size
        const own = room.subscribers.get(connectionId)
        const departure = room.departures.get(connectionId)
        let userName: string | undefined
        if (own) {
          room.subscribers.delete(connectionId)
          room.departures.set(connectionId, { userName: own.userName })
          userName = own.userName
        } else if (departure?.unfinished) {
          // A leave whose request failed after writing it: this call finishes its work.
          departure.unfinished = false
          userName = departure.userName
        }
        return {
          layout: 'small' as const,
          unsubscribed: userName !== undefined,
          userName,
          subscribers: subscribersOf(room),
          transition: emptied(room, before),
        }
      })
    },

    postMessage(input) {
      return call('postMessage', () => {
        const roomName = assertRoomName(input.roomName)
        const connectionId = assertConnectionId(input.connectionId)
        const room = rooms.get(roomName)
        const sender = room?.subscribers.get(connectionId)
        if (!room || !sender) {
          throw new ChatDbError('access.notSubscribed', `connection is not subscribed to room "${roomName}"`)
        }
        const message: ChatMessage = {
          roomName,
          connectionId,
          userName: sender.userName,
          message: input.message,
          id: input.id ?? randomUUID(),
          time: input.time ?? now(),
        }
        const stored = !room.messages.some((m) => m.id === message.id)
        if (stored) room.messages.push(message)
        return { layout: 'small' as const, message, recipients: subscribersOf(room), stored }
      })
    },

    removeConnection(connectionId) {
      return call('removeConnection', () => {
        const removed: RemovedSubscription[] = []
        for (const [roomName, room] of rooms) {
          room.departures.delete(connectionId)
          const own = room.subscribers.get(connectionId)
          if (!own) continue
          const before = room.subscribers.size
          room.subscribers.delete(connectionId)
          removed.push({
            layout: 'small',
            roomName,
            userName: own.userName,
            subscribers: subscribersOf(room),
            transition: emptied(room, before),
          })
        }
        return removed
      })
    },

    activeRoomsPage({ limit, cursor } = {}) {
      return call('activeRoomsPage', () => {
        // One listing shard, paged by the real merge and cursor code over the rooms in memory.
        const size = limit === undefined ? DEFAULT_ROOM_PAGE_SIZE : assertRoomPageLimit(limit)
        const [position] = startPositions(1, cursor)
        const active: ActiveRoom[] = [...rooms]
          .filter(([, room]) => room.subscribers.size > 0)
          .map(([roomName, { createdAt }]) => ({ roomName, createdAt }))
          .sort(compareRooms)
        const after = position?.after
        const rest = after ? active.filter((room) => compareRooms(room, after) > 0) : active
        return mergeShardReads(
          [{ position: position ?? { shard: 0 }, rooms: rest.slice(0, size + 1), truncated: false }],
          size,
          1,
        )
      })
    },

    recentMessages(roomName, { limit = 50 } = {}) {
      return call('recentMessages', () => {
        const messages = rooms.get(assertRoomName(roomName))?.messages ?? []
        return [...messages].sort((a, b) => a.time - b.time).slice(-limit)
      })
    },

    markUnfinished({ roomName, connectionId, of }) {
      return call('markUnfinished', () => {
        const room = rooms.get(roomName)
        // Like the conditional update: only an item of the named kind is marked.
        const item =
          of === 'subscription' ? room?.subscribers.get(connectionId) : room?.departures.get(connectionId)
        if (item) item.unfinished = true
      })
    },

    markFinished({ roomName, connectionId }) {
      return call('markFinished', () => {
        const own = rooms.get(roomName)?.subscribers.get(connectionId)
        if (own) own.unfinished = false
      })
    },
  }
}
