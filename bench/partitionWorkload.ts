import { createRandom } from '../src/admin/generateDataset.js'

/** The deployment docs/capacity.md models. */
export const TARGET = {
  connections: 1_000_000,
  rooms: 100_000,
  bigRoomSubscribers: 100_000,
  messagesPerSecond: 5_000,
} as const

/**
 * Assumptions of the model (docs/capacity.md repeats them): the same at every scale, so the
 * scaled-down run has the target's shape.
 */
export const ASSUMPTIONS = {
  /** Rooms each connection is subscribed to; the big room's members are in one more room each. */
  subscriptionsPerConnection: 2,
  /** Messages per second in the big room — not scaled down, so the run sees enough of them. */
  bigRoomMessagesPerSecond: 10,
  /** A connection lives this long on average, then reconnects (API Gateway caps it at 2 h). */
  connectionLifetimeSeconds: 3_600,
  /** listRooms per new connection. */
  listRoomsPerConnect: 1,
  /**
   * Rooms a client asks for per listRooms page (`limit`): a room picker shows a page and fetches
   * the next on demand. Without a limit a page is 1,000 rooms, ten times the read.
   */
  listRoomsPageSize: 100,
  /** Explicit unsubscribes per connection-hour, each followed by a subscribe elsewhere. */
  roomHopsPerConnectionHour: 0.5,
  /** Share of subscribes that open a room nobody is in (a room transition). */
  newRoomShare: 0.01,
  /** Share of connections that call themselves "guest" (one shared user name). */
  guestShare: 0.05,
} as const

export type OperationKind =
  | 'message'
  | 'bigMessage'
  | 'connect'
  | 'subscribe'
  | 'unsubscribe'
  | 'disconnect'
  /** A large room's `roomStats` fan-out: once per `roomStatsIntervalMs` at any scale, not scheduled. */
  | 'roomStats'

export interface ScheduledOperation {
  /** Virtual time (ms from the run's start). */
  at: number
  kind: OperationKind
  connectionId: string
  /** The frame's body, or undefined for `$disconnect`. */
  body?: Record<string, unknown>
}

export interface Population {
  rooms: string[]
  bigRoom: string
  /** Seeded members per room: connection id → user name. */
  members: Map<string, { connectionId: string; userName: string }[]>
}

export interface Workload {
  /** 1/scale of the target (50 means 2% of it). */
  scale: number
  seconds: number
  connections: number
  rooms: number
  bigRoomSubscribers: number
  messagesPerSecond: number
  bigRoomMessagesPerSecond: number
  population: Population
  operations: ScheduledOperation[]
}

export const userNameOf = (index: number) =>
  index % Math.round(1 / ASSUMPTIONS.guestShare) === 0 ? 'guest' : `user-${index}`

/**
 * The target divided by `scale`, as a seeded population and `seconds` of scheduled operations
 * in virtual time: messages (Poisson-like, uniform times), reconnect churn (a disconnect of a
 * seeded connection and a connect of a new one, with listRooms and two subscribes), room hops.
 */
export function buildWorkload(scale: number, seconds: number, bigRoomMessagesPerSecond: number): Workload {
  const random = createRandom(scale * 7919 + seconds)
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)] as T
  const connections = Math.round(TARGET.connections / scale)
  const roomCount = Math.round(TARGET.rooms / scale)
  const bigRoomSubscribers = Math.round(TARGET.bigRoomSubscribers / scale)
  const messagesPerSecond = TARGET.messagesPerSecond / scale
  const bigRoom = 'big-room'
  const rooms = [bigRoom, ...Array.from({ length: roomCount - 1 }, (_, i) => `room-${i}`)]
  const smallRooms = rooms.slice(1)
  const members = new Map<string, { connectionId: string; userName: string }[]>(rooms.map((r) => [r, []]))
  const roomsOf: string[][] = []
  for (let i = 0; i < connections; i++) {
    const connectionId = `conn-${i}`
    const mine = i < bigRoomSubscribers ? [bigRoom, pick(smallRooms)] : [pick(smallRooms), pick(smallRooms)]
    const distinct = [...new Set(mine)]
    roomsOf.push(distinct)
    for (const room of distinct) members.get(room)?.push({ connectionId, userName: userNameOf(i) })
  }

  const operations: ScheduledOperation[] = []
  const at = () => Math.floor(random() * seconds * 1000)
  const count = (perSecond: number) => Math.round(perSecond * seconds)
  // Churners leave during the run: senders come from the others, so no message is refused.
  const reconnects = count(connections / ASSUMPTIONS.connectionLifetimeSeconds)
  const hops = count((connections * ASSUMPTIONS.roomHopsPerConnectionHour) / 3_600)
  const churners = new Set<number>()
  while (churners.size < Math.min(connections / 2, reconnects + hops))
    churners.add(Math.floor(random() * connections))
  const [leavers, hoppers] = [[...churners].slice(0, reconnects), [...churners].slice(reconnects)]
  /** A member that stays subscribed through the run, if the room has one (a few tries). */
  const steady = (room: string) => {
    for (let attempt = 0; attempt < 50; attempt++) {
      const member = pick(members.get(room) ?? [])
      if (member && !churners.has(Number(member.connectionId.slice('conn-'.length)))) return member
    }
    return undefined
  }
  const subscribe = (time: number, connectionId: string, roomName: string, userName: string) =>
    operations.push({
      at: time,
      kind: 'subscribe',
      connectionId,
      body: { action: 'subscribe', roomName, userName },
    })
  let newRooms = 0
  const roomForNewcomer = (joinsBig: boolean) => {
    if (joinsBig) return bigRoom
    if (random() < ASSUMPTIONS.newRoomShare) return `new-room-${newRooms++}`
    return pick(smallRooms)
  }

  for (let m = 0; m < count(messagesPerSecond - bigRoomMessagesPerSecond); m++) {
    const roomName = pick(smallRooms)
    const sender = steady(roomName)
    if (!sender) continue
    const { connectionId } = sender
    operations.push({
      at: at(),
      kind: 'message',
      connectionId,
      body: { action: 'sendMessage', roomName, message: `m${m}` },
    })
  }
  for (let m = 0; m < count(bigRoomMessagesPerSecond); m++) {
    const sender = steady(bigRoom)
    if (!sender) continue
    const { connectionId } = sender
    operations.push({
      at: at(),
      kind: 'bigMessage',
      connectionId,
      body: { action: 'sendMessage', roomName: bigRoom, message: `big message ${m}` },
    })
  }
  leavers.forEach((index, n) => {
    const time = at()
    operations.push({ at: time, kind: 'disconnect', connectionId: `conn-${index}` })
    // The same user comes back on a new connection: lists the rooms, joins as many rooms again.
    const connectionId = `new-conn-${n}`
    const userName = userNameOf(index)
    operations.push({
      at: time,
      kind: 'connect',
      connectionId,
      body: { action: 'listRooms', limit: ASSUMPTIONS.listRoomsPageSize },
    })
    const joinsBig = index < bigRoomSubscribers
    subscribe(time + 50, connectionId, roomForNewcomer(joinsBig), userName)
    subscribe(time + 100, connectionId, roomForNewcomer(false), userName)
  })
  for (const index of hoppers) {
    const time = at()
    const connectionId = `conn-${index}`
    const from = roomsOf[index]?.[roomsOf[index].length - 1] ?? bigRoom
    operations.push({
      at: time,
      kind: 'unsubscribe',
      connectionId,
      body: { action: 'unsubscribe', roomName: from },
    })
    subscribe(time + 50, connectionId, roomForNewcomer(false), userNameOf(index))
  }
  operations.sort((a, b) => a.at - b.at)
  return {
    scale,
    seconds,
    connections,
    rooms: roomCount,
    bigRoomSubscribers,
    messagesPerSecond,
    bigRoomMessagesPerSecond,
    population: { rooms, bigRoom, members },
    operations,
  }
}
