import { ChatDbError } from '../errors.js'
import { sortableTime } from '../keys.js'
import type { ChatRepository } from '../repository/chatRepository.js'
import { layoutOf } from '../repository/roomLayout.js'
import { createRoomUpkeep, transitionFor } from '../repository/roomUpkeep.js'
import type { TableStore } from '../repository/tableStore.js'
import type { RoomTransition } from '../repository/types.js'
import { mapWithConcurrency } from '../util/concurrency.js'
import type { ConnectionProbe } from './connectionProbe.js'
import { sortOutRooms, type UnreadableRoom } from './unreadableRoom.js'

export interface ConnectionCleanup {
  connectionId: string
  /** Subscriptions removed, or that would be with `dryRun`. */
  subscriptions: number
  rooms: { roomName: string; userName: string; transition?: RoomTransition | undefined }[]
  dryRun: boolean
}

/**
 * Removes every subscription of a connection and settles its rooms, as `$disconnect` does.
 *
 * @example
 * const { subscriptions } = await cleanupConnection(repository, 'L0SM9cOFvHcCIhw=')
 */
export async function cleanupConnection(
  repository: ChatRepository,
  connectionId: string,
  { dryRun = false } = {},
): Promise<ConnectionCleanup> {
  if (dryRun) {
    const rooms = await repository.roomsOfConnection(connectionId)
    return { connectionId, subscriptions: rooms.length, rooms, dryRun }
  }
  const removed = await repository.removeConnection(connectionId)
  // The subscriptions are gone; a room that could not be settled fails the run, and
  // `chatdb cleanup rooms` (reconcileRooms) settles its listing.
  const rooms = removed.map((r) => {
    if (r.layout === 'unknown') throw r.error
    return { roomName: r.roomName, userName: r.userName, transition: r.transition }
  })
  return { connectionId, subscriptions: removed.length, rooms, dryRun }
}

export interface StaleCleanup {
  /** Distinct subscribed connections probed with GetConnection. */
  probed: number
  /** Connections that answered 410 Gone. */
  stale: string[]
  /** Connections whose probe failed otherwise (kept). */
  errors: { connectionId: string; error: string }[]
  /** Subscriptions removed (or that would be, with `dryRun`). */
  subscriptions: number
  dryRun: boolean
}

/**
 * Probes every subscribed connection through the management API and removes the subscriptions
 * of those that are gone (HTTP 410), like the broadcaster does when a post answers 410.
 *
 * When the management API cannot be reached at all, a probe tells nothing about its connection
 * and every other probe would fail the same way: the first such answer stops the probing (the
 * probes in flight settle) and the call throws `connections.unreachable`, having removed nothing.
 *
 * @example
 * const { probe, close } = createConnectionProbe({ endpoint: 'http://127.0.0.1:3001', region: 'local' })
 * const { stale } = await cleanupStale(repository, store, probe).finally(close)
 */
export async function cleanupStale(
  repository: ChatRepository,
  store: TableStore,
  probe: ConnectionProbe,
  { dryRun = false, concurrency = 8 } = {},
): Promise<StaleCleanup> {
  const connections = await store.subscribedConnections()
  let probed = 0
  const results = await mapWithConcurrency(connections, concurrency, async (connectionId) => {
    const state = await probe(connectionId)
    probed++
    if (state.status === 'unreachable') {
      throw new ChatDbError(
        'connections.unreachable',
        `cannot reach the @connections API (${state.error}); stopped after ${probed} of ${connections.length} probes, removed nothing`,
      )
    }
    return { connectionId, state }
  })
  const stale = results.filter((r) => r.state.status === 'gone').map((r) => r.connectionId)
  const errors = results.flatMap(({ connectionId, state }) =>
    state.status === 'error' ? [{ connectionId, error: state.error }] : [],
  )
  const cleaned = await mapWithConcurrency(stale, concurrency, (id) =>
    cleanupConnection(repository, id, { dryRun }),
  )
  const subscriptions = cleaned.reduce((n, c) => n + c.subscriptions, 0)
  return { probed: connections.length, stale, errors, subscriptions, dryRun }
}

export interface RoomReconciliation {
  roomName: string
  /**
   * What was (or would be) done: `created`/`reactivated`/`emptied` from settling, `repaired`
   * records, `relocated` records moved into the listing shard the configured shard count gives,
   * `recounted` a large room whose only fault was its subscriber counters.
   */
  action: RoomTransition | 'repaired' | 'relocated' | 'recounted'
  /**
   * A large room's subscriber counters found off by its exact read, and set right (or that would
   * be, with `dryRun`); absent when none was. `recounted` is the action when nothing else was.
   */
  countersRepaired?: number
}

/**
 * Brings every room's listing in line with its subscribers. A room whose guard disagrees with
 * its subscriptions is settled (`repository.settleRoom`); one whose guard is right but whose
 * `Room` records are not (a writer that died between its claim and its writes) has them rewritten.
 * Records in another listing shard than the store's `roomListingShards` gives their name (left
 * by a change of the shard count) are relocated: the room's record is written where it belongs
 * (from its guard, with the upkeep's version conditions) and the misplaced ones are deleted.
 *
 * A large room (its guard carries `shards`) is judged by an exact read of every partition, not
 * by its base partition: its counters found off are repaired from that read (each on condition
 * that nothing was counted since it was read) and its listing is settled as the read says. Rooms are
 * found by name, and a shard partition `Subscription|<room>|<k>` by the `roomName` its items
 * carry, never by its key, so no shard is taken for a room of its own. A name chatdb refuses (an
 * import can bring one) is not touched: it is counted in `rooms` and listed in `unreadable`.
 *
 * @example
 * const { changes } = await reconcileRooms(repository, store, { dryRun: true })
 */
export async function reconcileRooms(
  repository: ChatRepository,
  store: TableStore,
  { dryRun = false, concurrency = 8 } = {},
): Promise<{
  rooms: number
  changes: RoomReconciliation[]
  countersRepaired: number
  unreadable: UnreadableRoom[]
  dryRun: boolean
}> {
  const upkeep = createRoomUpkeep({
    entities: store.entities,
    now: Date.now,
    readSnapshot: (roomName) => repository.roomSnapshot(roomName),
  })
  // Every name the table knows a room by: guards, records and subscription partitions.
  const { names, listings } = await store.roomRecords()
  const { readable, unreadable } = sortOutRooms([...names].sort())
  const changes = await mapWithConcurrency(readable, concurrency, async (roomName) => {
    const records = listings.get(roomName) ?? []
    const misplaced = records.filter((record) => !record.placed)
    // After the room's own record is right: delete the misplaced ones (each only if unchanged).
    const relocate = async () => {
      if (dryRun) return
      for (const record of misplaced) await store.deleteRoomListing(roomName, record)
    }
    const base = await repository.roomSnapshot(roomName)
    const layout = layoutOf(base.state)
    // A large room's base partition is not the room: read it whole (repairing its counters).
    const large = layout.kind === 'large' ? await readLarge(roomName) : undefined
    const snapshot = large ?? base
    const { state } = snapshot
    const counters = large?.countersRepaired ? { countersRepaired: large.countersRepaired } : {}
    const owed = transitionFor(snapshot)
    if (owed) {
      if (dryRun) return { roomName, action: owed, ...counters }
      const transition = await repository.settleRoom(roomName)
      await relocate()
      if (transition) return { roomName, action: transition, ...counters }
      return large?.countersRepaired ? { roomName, action: 'recounted', ...counters } : undefined
    }
    // The records come from the Scan, the guard from a later read: if the room moved on in
    // between, this "repair" rewrites what its last writer wrote, which `apply`'s version
    // conditions make harmless.
    const placed = records.filter((record) => record.placed)
    // Marking a room large moves its guard's version on (so no claim read before it lands) and
    // leaves its record as it was: a large room's record may be older, never newer, and still right.
    const versionAgrees = (version: number) =>
      layout.kind === 'large' && state ? version <= state.version : version === state?.version
    const consistent = state
      ? placed.length === 1 && placed[0]?.active === state.listed && versionAgrees(placed[0].version)
      : placed.length === 0
    if (!state || (consistent && misplaced.length === 0)) {
      return large?.countersRepaired ? { roomName, action: 'recounted', ...counters } : undefined
    }
    if (!dryRun && !consistent) await upkeep.apply(state)
    await relocate()
    return { roomName, action: misplaced.length > 0 ? 'relocated' : 'repaired', ...counters } as const
  })
  const done = changes.filter((c): c is RoomReconciliation => c !== undefined)
  return {
    rooms: names.size,
    changes: done,
    countersRepaired: done.reduce((sum, change) => sum + (change.countersRepaired ?? 0), 0),
    unreadable,
    dryRun,
  }

  /**
   * The exact state of a large room, its wrong counters counted (a dry run) or repaired. A
   * repair that loses its condition to a join or leave counted since is not counted: the
   * counter moved on from what the read saw, and the next exact read judges it again.
   */
  async function readLarge(roomName: string) {
    const read = await repository.largeRoomSnapshot(roomName, { repair: !dryRun })
    if (!read) return undefined
    const off = read.partitions.filter(({ countable, counted }) => (counted ?? 0) !== countable).length
    return { ...read, countersRepaired: dryRun ? off : read.repaired }
  }
}

export interface MessagePruning {
  /** Messages older than the cutoff, deleted (or that would be, with `dryRun`). */
  messages: number
  /** Per room (own properties only: a room may be called `__proto__` or `constructor`). */
  rooms: Record<string, number>
  cutoff: string
  dryRun: boolean
}

/**
 * Deletes messages older than `olderThanMs` (a Scan filtered on entity and time, then
 * BatchWriteItem deletes in chunks of 25).
 *
 * @example
 * const { messages } = await pruneMessages(store, { olderThanMs: parseDuration('30d') })
 */
export async function pruneMessages(
  store: TableStore,
  { olderThanMs, now = Date.now(), dryRun = false }: { olderThanMs: number; now?: number; dryRun?: boolean },
): Promise<MessagePruning> {
  const cutoffMs = now - olderThanMs
  const old = await store.messagesBefore(cutoffMs)
  // Room names are chosen by users: a Map, so `constructor` or `__proto__` count like any name.
  const rooms = new Map<string, number>()
  for (const { roomName } of old) rooms.set(roomName, (rooms.get(roomName) ?? 0) + 1)
  if (!dryRun) await store.writeItems(old.map((message) => message.delete))
  return {
    messages: old.length,
    rooms: Object.fromEntries(rooms),
    cutoff: sortableTime(cutoffMs),
    dryRun,
  }
}
