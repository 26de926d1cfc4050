import { readUnits } from './capacity.js'
import { ASSUMPTIONS, type OperationKind, TARGET, type Workload } from './partitionWorkload.js'
import type { RecordedRequest } from './requestRecorder.js'

/** What every recorded request and post is tagged with: its operation's virtual time and kind. */
export interface LoadTag {
  at: number
  kind: OperationKind
  /** The sort key of a single-item request (`#count`, `#room`, …), set per request by the bench. */
  sk?: string
  /** A Query's `Limit`, set per request by the bench: a capped read does not grow with the partition. */
  limit?: number
  /** Whether a read was strongly consistent, set per request by the bench. */
  consistent?: boolean
}

export interface ScalingOptions {
  /**
   * Bytes of one of the hot room's subscription items as DynamoDB sizes it. With it, a read of
   * a hot-room partition is priced at the target from its items (items × ratio × bytes, rounded
   * up to 4 KB once); without it, the read's measured units are multiplied, which overstates a
   * small read's rounding (1 RCU for 8 items, ×200, is not 1,600 items' 1 RCU per 4 KB).
   */
  subscriptionItemBytes?: number
}

export type KeyClass =
  | 'Room listing partition'
  | "hot room's subscription partition"
  | "hot room's shard partitions"
  | "hot room's message partition"
  | "other rooms' subscription partitions"
  | "other rooms' message partitions"
  | 'GSI: connection id'
  | 'GSI: user name (own)'
  | 'GSI: user name "guest"'
  | 'GSI: room name'
  | 'table total'

export const KEY_CLASSES: readonly KeyClass[] = [
  'Room listing partition',
  "hot room's subscription partition",
  "hot room's shard partitions",
  "hot room's message partition",
  "other rooms' subscription partitions",
  "other rooms' message partitions",
  'GSI: connection id',
  'GSI: user name (own)',
  'GSI: user name "guest"',
  'GSI: room name',
  'table total',
]

export function classOf(key: { index?: string; key: string }, bigRoom: string): KeyClass {
  if (key.index === undefined) {
    if (key.key === 'Room' || key.key.startsWith('Room|')) return 'Room listing partition'
    if (key.key === `Subscription|${bigRoom}`) return "hot room's subscription partition"
    // A large room's shard partitions (docs/data-model.md, "Large rooms"): `Subscription|<room>|<k>`.
    if (key.key.startsWith(`Subscription|${bigRoom}|`)) return "hot room's shard partitions"
    if (key.key === `Message|${bigRoom}`) return "hot room's message partition"
    return key.key.startsWith('Message|')
      ? "other rooms' message partitions"
      : "other rooms' subscription partitions"
  }
  if (key.key.startsWith('conn-') || key.key.startsWith('new-conn-')) return 'GSI: connection id'
  if (key.key === 'guest') return 'GSI: user name "guest"'
  if (key.key.startsWith('user-')) return 'GSI: user name (own)'
  return 'GSI: room name'
}

/**
 * How a measured load becomes the target's. Two factors per request:
 * - **rate**: how many times more often the operation hits the key at the target — the kind's
 *   rate ratio (target ÷ run), divided by how many times more keys of the class there are
 *   (for classes of many keys the load spreads: a small room or a connection id is as busy at
 *   both scales);
 * - **size**: how many times more a read of a whole partition costs at the target (the room
 *   listing: rooms; the hot room's subscribers: members); 1 for everything else.
 */
/** The most listing items one listRooms reads per shard: its page and one more. */
const LISTING_READ_CAP = ASSUMPTIONS.listRoomsPageSize + 1

export function createScaling(run: Workload, options: ScalingOptions = {}) {
  const smallRate =
    (TARGET.messagesPerSecond - ASSUMPTIONS.bigRoomMessagesPerSecond) /
    (run.messagesPerSecond - run.bigRoomMessagesPerSecond)
  const churn = TARGET.connections / run.connections
  const rate: Record<OperationKind, number> = {
    message: smallRate,
    bigMessage: ASSUMPTIONS.bigRoomMessagesPerSecond / run.bigRoomMessagesPerSecond,
    connect: churn,
    subscribe: churn,
    unsubscribe: churn,
    disconnect: churn,
    // At most one per room and interval however busy the room: the same at both scales.
    roomStats: 1,
  }
  const roomsRatio = TARGET.rooms / run.rooms
  const bigRatio = TARGET.bigRoomSubscribers / run.bigRoomSubscribers
  const connectionsRatio = TARGET.connections / run.connections
  const keysRatio: Record<KeyClass, number> = {
    'Room listing partition': 1,
    "hot room's subscription partition": 1,
    // S keys at both scales (S does not shrink with the run), each as many times busier.
    "hot room's shard partitions": 1,
    "hot room's message partition": 1,
    "other rooms' subscription partitions": roomsRatio,
    "other rooms' message partitions": roomsRatio,
    'GSI: connection id': connectionsRatio,
    'GSI: user name (own)': connectionsRatio,
    'GSI: user name "guest"': 1,
    'GSI: room name': roomsRatio,
    'table total': 1,
  }
  return {
    rate,
    roomsRatio,
    bigRatio,
    connectionsRatio,
    rateFactor: (keyClass: KeyClass, kind: OperationKind) => rate[kind] / keysRatio[keyClass],
    sizeFactor(
      operation: string,
      keyName: string,
      bigRoom: string,
      items = 0,
      read: { limit?: number; consistent?: boolean; rcu?: number } = {},
    ) {
      const { limit } = read
      if (operation !== 'Query') return 1
      if (keyName === 'Room' || keyName.startsWith('Room|')) {
        // listRooms reads one page (the page + 1 to learn whether more follow), not the whole
        // listing: at the target it reads rooms-ratio times more only up to that cap.
        if (items === 0) return 1
        return Math.min(items * roomsRatio, LISTING_READ_CAP) / items
      }
      if (keyName === `Subscription|${bigRoom}` || keyName.startsWith(`Subscription|${bigRoom}|`)) {
        // Every partition of the hot room holds bigRatio times more at the target (a large
        // room's base partition too: the run marks it large at threshold ÷ bigRatio members), but
        // a capped read (a large room's sample, a leaver's first page) stops at its Limit.
        if (items === 0) return bigRatio
        const targetItems = limit === undefined ? items * bigRatio : Math.min(items * bigRatio, limit)
        const bytes = options.subscriptionItemBytes
        if (bytes !== undefined && read.rcu !== undefined && read.rcu > 0) {
          const target = readUnits(targetItems * bytes, { consistent: read.consistent === true })
          return Math.max(1, target / read.rcu)
        }
        return targetItems / items
      }
      return 1
    },
  }
}

/** The largest sum of `value` over any window [t, t + windowMs) of the events' virtual times. */
export function busiestWindow(events: readonly { at: number; value: number }[], windowMs = 1_000): number {
  const sorted = [...events].sort((a, b) => a.at - b.at)
  let best = 0
  let sum = 0
  let start = 0
  for (const event of sorted) {
    sum += event.value
    while ((sorted[start]?.at ?? Number.POSITIVE_INFINITY) <= event.at - windowMs) {
      sum -= sorted[start]?.value ?? 0
      start++
    }
    best = Math.max(best, sum)
  }
  return best
}

/** One request's load on one key: measured units, with the factors that scale it. */
export interface LoadEvent {
  at: number
  kind: OperationKind
  value: number
  rate: number
  size: number
}

/**
 * The target's busiest second from a run that sees the same traffic `rate` times slower: the
 * run's busiest window holding a target-second's worth of operations (`rate` seconds long,
 * capped at the run), averaged per second and scaled by `rate` and `size`. Taking a 1-s window
 * and multiplying would scale a chance burst of two operations up as if it were the norm. Kinds
 * are windowed apart and added: an upper bound, as their peaks need not coincide.
 */
export function targetBusiestSecond(events: readonly LoadEvent[], runSeconds: number): number {
  const groups = new Map<string, LoadEvent[]>()
  for (const event of events) {
    const group = `${event.kind}:${event.rate}`
    const members = groups.get(group) ?? []
    groups.set(group, members)
    members.push(event)
  }
  let total = 0
  for (const group of groups.values()) {
    const rate = group[0]?.rate ?? 1
    const seconds = Math.min(Math.max(1, rate), runSeconds)
    total +=
      (busiestWindow(
        group.map((e) => ({ at: e.at, value: e.value * e.size })),
        seconds * 1_000,
      ) /
        seconds) *
      rate
  }
  return total
}

export interface ClassLoad {
  keyClass: KeyClass
  keys: number
  measured: { rcu: number; wcu: number; rcuKey: string; wcuKey: string }
  target: { rcu: number; wcu: number; rcuKey: string; wcuKey: string }
}

type KeyEvents = { rcu: LoadEvent[]; wcu: LoadEvent[] }

/** Per key class: the busiest key's busiest second, measured and scaled to the target. */
export function classLoads(
  records: readonly RecordedRequest<LoadTag>[],
  run: Workload,
  options: ScalingOptions = {},
): ClassLoad[] {
  const scaling = createScaling(run, options)
  const bigRoom = run.population.bigRoom
  const byClass = new Map<KeyClass, Map<string, KeyEvents>>()
  const add = (keyClass: KeyClass, key: string, rcu: LoadEvent, wcu: LoadEvent) => {
    const keys = byClass.get(keyClass) ?? new Map<string, KeyEvents>()
    byClass.set(keyClass, keys)
    const events = keys.get(key) ?? { rcu: [], wcu: [] }
    keys.set(key, events)
    if (rcu.value > 0) events.rcu.push(rcu)
    if (wcu.value > 0) events.wcu.push(wcu)
  }
  for (const record of records) {
    const at = record.tag?.at ?? 0
    const kind = record.tag?.kind ?? 'message'
    if (record.scan) {
      const scan = { at, kind, value: record.rcu, rate: scaling.rate[kind], size: 1 }
      add('table total', '(all keys)', scan, { ...scan, value: 0 })
    }
    for (const touched of record.keys) {
      const keyClass = classOf(touched, bigRoom)
      const size = scaling.sizeFactor(record.operation, touched.key, bigRoom, touched.items, {
        limit: record.tag?.limit,
        consistent: record.tag?.consistent,
        rcu: touched.rcu,
      })
      const event = (keyClass: KeyClass, value: number) => ({
        at,
        kind,
        value,
        rate: scaling.rateFactor(keyClass, kind),
        size,
      })
      const name = `${touched.index ? `${touched.index}:` : ''}${touched.key}`
      add(keyClass, name, event(keyClass, touched.rcu), event(keyClass, touched.wcu))
      // The table's total grows with every kind's aggregate rate (more keys, each as busy).
      add('table total', '(all keys)', event('table total', touched.rcu), event('table total', touched.wcu))
    }
  }
  return KEY_CLASSES.map((keyClass) => {
    const keys = byClass.get(keyClass) ?? new Map<string, KeyEvents>()
    const load: ClassLoad = {
      keyClass,
      keys: keyClass === 'table total' ? 0 : keys.size,
      measured: { rcu: 0, wcu: 0, rcuKey: '—', wcuKey: '—' },
      target: { rcu: 0, wcu: 0, rcuKey: '—', wcuKey: '—' },
    }
    for (const [key, events] of keys) {
      const rcu = busiestWindow(events.rcu)
      const wcu = busiestWindow(events.wcu)
      const rcuT = targetBusiestSecond(events.rcu, run.seconds)
      const wcuT = targetBusiestSecond(events.wcu, run.seconds)
      if (rcu > load.measured.rcu) Object.assign(load.measured, { rcu, rcuKey: key })
      if (wcu > load.measured.wcu) Object.assign(load.measured, { wcu, wcuKey: key })
      if (rcuT > load.target.rcu) Object.assign(load.target, { rcu: rcuT, rcuKey: key })
      if (wcuT > load.target.wcu) Object.assign(load.target, { wcu: wcuT, wcuKey: key })
    }
    return load
  })
}
