import { ChatDbError } from '../errors.js'
import { describeError } from '../log/jsonLogger.js'
import type { ServerFrame } from '../protocol/frames.js'
import { intervalEnd } from './intervalEnd.js'
import type { ChatServiceRepository, LargeRoomPublisher, ServiceLogger } from './types.js'

/** How often a large room's members hear its subscriber count at most, while it changes. */
export const DEFAULT_ROOM_STATS_INTERVAL_MS = 30_000

/** Rooms whose last `roomStats` try a process remembers before it starts over. */
const REMEMBERED_TRIES = 10_000

/**
 * How a large room's members are reached: a frame fanned out through the publisher, and the
 * room's subscriber count (`roomStats`) told after its membership changed, coalesced to at most
 * one per `roomStatsIntervalMs` plus a trailing one.
 *
 * @example
 * const large = createRoomStatsAnnouncer({ repository, publisher, clock: Date.now, logger })
 * await large.announceRoomStats('lobby', 64)
 */
export function createRoomStatsAnnouncer({
  repository,
  publisher,
  clock,
  logger,
  roomStatsIntervalMs = DEFAULT_ROOM_STATS_INTERVAL_MS,
}: {
  repository: Pick<ChatServiceRepository, 'subscriberCounts' | 'claimRoomStats' | 'claimTrailingStats'>
  publisher: LargeRoomPublisher | undefined
  clock: () => number
  logger: ServiceLogger
  roomStatsIntervalMs?: number | undefined
}) {
  // When this process last tried to claim a large room's roomStats (`at`), and the end of the
  // interval whose trailing roomStats it last made sure of (`trailingAt`): at most one try of
  // each per interval per room and process, so a burst of joins does not become a burst of
  // conditional writes.
  const statsTried = new Map<string, { at: number; trailingAt?: number }>()

  /** Sends `frame` to every member of a large room, through the publisher (`LargeRoomPublisher`). */
  async function fanOutFrame(roomName: string, shards: number, frame: ServerFrame): Promise<void> {
    if (!publisher)
      throw new ChatDbError(
        'store.config',
        'a large room needs a publisher (createQueuePublisher or createInlinePublisher)',
      )
    await publisher.publish({ roomName, shards }, frame)
  }

  /**
   * Tells a large room's members its subscriber count after its membership changed: at most
   * once per `roomStatsIntervalMs` per room (one process wins each interval through a
   * conditional write; each process tries at most once per interval). A change the interval's
   * `roomStats` did not carry is sent at the interval's end by a trailing one
   * (`scheduleTrailingStats`). Never fails the route that changed the membership: a failure is
   * logged, and the next change tries again.
   */
  async function announceRoomStats(roomName: string, shards: number, knownCount?: number): Promise<void> {
    const at = clock()
    const tried = statsTried.get(roomName)
    try {
      if (tried === undefined || at - tried.at >= roomStatsIntervalMs || at < tried.at) {
        if (statsTried.size >= REMEMBERED_TRIES) statsTried.clear()
        statsTried.set(roomName, { at })
        const subscriberCount = knownCount ?? (await repository.subscriberCounts?.(roomName))?.total
        if (subscriberCount === undefined) return
        if (await repository.claimRoomStats?.(roomName, roomStatsIntervalMs, subscriberCount)) {
          await fanOutFrame(roomName, shards, { type: 'roomStats', roomName, subscriberCount })
          return
        }
      }
      await scheduleTrailingStats(roomName, shards, at)
    } catch (error) {
      logger.warn('roomStats.failed', { roomName, error: describeError(error) })
    }
  }

  /**
   * Makes sure a trailing `roomStats` runs at the end of the interval `at` falls in (intervals
   * counted from the epoch, so every process names the same one): the first process to claim it
   * (a conditional write of `trailingAt`) has the publisher schedule it for then, and the
   * fan-out worker sends the count if it changed since the last `roomStats` (`runTrailingStats`). It
   * runs after this change was counted, so the members learn the count within an interval of
   * the last change. Without a queue behind the publisher nothing can run later: the next
   * change tells it.
   */
  async function scheduleTrailingStats(roomName: string, shards: number, at: number): Promise<void> {
    if (publisher?.kind !== 'queue' || !repository.claimTrailingStats || !(roomStatsIntervalMs > 0)) return
    const dueAt = intervalEnd(at, roomStatsIntervalMs)
    const memo = statsTried.get(roomName)
    if (memo?.trailingAt === dueAt) return
    // Noted before the claim: the joins of a burst in this process wait for one claim, not each its own.
    if (memo) memo.trailingAt = dueAt
    const claimed = await repository.claimTrailingStats(roomName, dueAt).catch((error: unknown) => {
      if (memo?.trailingAt === dueAt) memo.trailingAt = undefined
      throw error
    })
    if (!claimed) return
    await publisher.scheduleRoomStats(
      { roomName, shards },
      { intervalMs: roomStatsIntervalMs, delayMs: dueAt - at },
    )
  }

  return { fanOutFrame, announceRoomStats }
}
