import { ChatDbError } from '../errors.js'
import { createJsonLogger, describeError } from '../log/jsonLogger.js'
import type {
  ActionName,
  ClientAction,
  ListRoomsAction,
  SendMessageAction,
  SubscribeAction,
  UnsubscribeAction,
} from '../protocol/actions.js'
import { parseAction } from '../protocol/actions.js'
import { badRequest } from '../protocol/errorFrame.js'
import { fitRoomListFrame, fitSubscribedFrame, MAX_OUTGOING_FRAME_BYTES } from '../protocol/fitFrame.js'
import type { ChatMessageFrame, RoomListFrame, ServerFrame, SubscribedFrame } from '../protocol/frames.js'
import { messageIdFor } from '../protocol/messageId.js'
import { departureFrames } from '../protocol/presenceFrames.js'
import type { ChatMessage, LargeRoomView, RemovedSubscription } from '../repository/types.js'
import { announcesJoin, userNamesOf } from '../repository/userNames.js'
import { assertConnectionId } from '../validation.js'
import { intervalEnd } from './intervalEnd.js'
import { createRouteRunner } from './routeRunner.js'
import type { ChatServiceOptions, Delivery, RequestInfo, RouteOutcome } from './types.js'

export type { ChatServiceOptions, ChatServiceRepository, RequestInfo, RouteOutcome } from './types.js'

/** How often a large room's members hear its subscriber count at most, while it changes. */
export const DEFAULT_ROOM_STATS_INTERVAL_MS = 30_000

/**
 * A large room's state for a subscriber: the sample of names and the room's approximate count,
 * `truncated.users` counting the names the sample leaves out (docs/protocol.md, "Large rooms").
 */
function largeRoomState(
  roomName: string,
  large: LargeRoomView,
  messages: ChatMessageFrame[],
): SubscribedFrame {
  const beyondSample = Math.max(0, large.subscriberCount - large.sample.length)
  // Room for the digits of the counts added after fitting.
  const fitted = fitSubscribedFrame(
    { type: 'subscribed', roomName, users: large.sample, messages, subscriberCount: large.subscriberCount },
    MAX_OUTGOING_FRAME_BYTES - 64,
  )
  const truncated = {
    messages: fitted.truncated?.messages ?? 0,
    users: (fitted.truncated?.users ?? 0) + beyondSample,
  }
  return truncated.messages === 0 && truncated.users === 0 ? fitted : { ...fitted, truncated }
}

/**
 * The chat protocol: one method per WebSocket route, pure of AWS. Every failure becomes an
 * `error` frame to the caller (400 for the client's mistakes, 500 for ours, logged) and the
 * repository guarantees there is no partial write.
 *
 * @example
 * const service = createChatService({ repository, broadcaster })
 * await service.receive({ connectionId: 'Xk3a9cD1oAMCJzQ=' }, '{"action":"listRooms"}')
 */
export function createChatService(options: ChatServiceOptions) {
  const { repository, broadcaster, recentMessagesLimit = 50, clock = Date.now, publisher } = options
  const { roomStatsIntervalMs = DEFAULT_ROOM_STATS_INTERVAL_MS } = options
  const logger = options.logger ?? createJsonLogger()
  // When this process last tried to claim a large room's roomStats (`at`), and the end of the
  // interval whose trailing roomStats it last made sure of (`trailingAt`): at most one try of
  // each per interval per room and process, so a burst of joins does not become a burst of
  // conditional writes.
  const statsTried = new Map<string, { at: number; trailingAt?: number }>()

  const { reply, refuse, run, leaveUnfinished } = createRouteRunner({ repository, broadcaster, logger })

  /**
   * Who hears of a connection's departures. A room left on its own: its remaining subscribers
   * get `userUnsubscribed` unless the name is still in the room through another connection. A
   * big room's burst (`burst`): its holder tells the remaining subscribers every name of the
   * burst that is not still in the room, in as few frames as fit; the other leavers tell nobody.
   * `announceOwn: false` leaves out the rooms this connection left on its own (a 410 cleanup).
   */
  function departureDeliveries(removed: RemovedSubscription[], { announceOwn = true } = {}): Delivery[] {
    const deliveries: Delivery[] = []
    for (const { roomName, userName, subscribers, error, burst } of removed) {
      if (error !== undefined || burst?.holder === false || (!burst && !announceOwn)) continue
      // A name stays in the room while another connection of it does.
      const present = new Set(subscribers.map((s) => s.userName))
      const left = (burst ? burst.userNames : [userName]).filter((name) => !present.has(name))
      for (const frame of departureFrames(roomName, left)) {
        for (const { connectionId } of subscribers) deliveries.push({ connectionId, frame })
      }
    }
    return deliveries
  }

  /** The large rooms a connection left get a `roomStats` (coalesced, see `announceRoomStats`). */
  async function announceLeaves(removed: RemovedSubscription[]): Promise<void> {
    await Promise.all(
      removed.flatMap(({ roomName, large, error }) =>
        large && error === undefined ? [announceRoomStats(roomName, large.shards)] : [],
      ),
    )
  }

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
        if (statsTried.size >= 10_000) statsTried.clear()
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

  const service = {
    /** `$connect`: nothing is stored until the connection subscribes; only the id is checked. */
    async connect(request: RequestInfo): Promise<RouteOutcome> {
      try {
        assertConnectionId(request.connectionId)
        return { statusCode: 200 }
      } catch {
        return { statusCode: 400 }
      }
    },

    /** `$disconnect`: every subscription goes; each room's remaining subscribers hear of it. */
    async disconnect(request: RequestInfo): Promise<RouteOutcome> {
      try {
        const removed = await repository.removeConnection(request.connectionId)
        await broadcaster.post(departureDeliveries(removed))
        await announceLeaves(removed)
        // API Gateway never retries $disconnect: the rooms that failed stay unannounced (logged).
        const failed = removed.filter((r) => r.error !== undefined)
        if (failed.length === 0) return { statusCode: 200 }
        logger.error('route.failed', {
          route: '$disconnect',
          connectionId: request.connectionId,
          rooms: failed.map((r) => r.roomName),
          error: describeError(failed[0]?.error),
        })
        return { statusCode: 500 }
      } catch (error) {
        logger.error('route.failed', {
          route: '$disconnect',
          connectionId: request.connectionId,
          error: describeError(error),
        })
        return { statusCode: 500 }
      }
    },

    /**
     * A connection a post found gone (HTTP 410; the broadcaster's `onGone`): its subscriptions
     * are deleted and its rooms settled, as `$disconnect` does. Its own departures are not
     * announced (a gone connection was never announced; its `$disconnect` may still come), but a
     * burst of a big room it happens to hold is: the names of the others depend on it.
     * Failures are logged, never thrown (the broadcast that found it carries on).
     */
    async removeGone(connectionId: string): Promise<void> {
      try {
        const removed = await repository.removeConnection(connectionId)
        await broadcaster.post(departureDeliveries(removed, { announceOwn: false }))
        await announceLeaves(removed)
      } catch (error) {
        logger.error('gone.cleanupFailed', { connectionId, error: describeError(error) })
      }
    },

    /**
     * A raw frame (`$default`, or a named route when `route` is given): parsed and validated,
     * then handled by its action's method. Bad frames get a 400 and touch nothing.
     */
    async receive(request: RequestInfo, body: string | undefined, route?: ActionName): Promise<RouteOutcome> {
      const parsed = parseAction(body)
      if (!parsed.ok) return refuse(request, badRequest(parsed.message, parsed.action))
      if (route !== undefined && parsed.action.action !== route) {
        return refuse(
          request,
          badRequest(`the "${route}" route takes "${route}" frames, not "${parsed.action.action}"`, route),
        )
      }
      return service.handle(request, parsed.action)
    },

    /** Handles a validated action. */
    handle(request: RequestInfo, action: ClientAction): Promise<RouteOutcome> {
      switch (action.action) {
        case 'subscribe':
          return service.subscribe(request, action)
        case 'unsubscribe':
          return service.unsubscribe(request, action)
        case 'sendMessage':
          return service.sendMessage(request, action)
        case 'listRooms':
          return service.listRooms(request, action)
      }
    },

    /**
     * The subscriber gets the room state; the room's others get `userSubscribed` when this
     * subscription brings its user name into the room (`announcesJoin`).
     * Requests: GSI count + PutItem + Query (subscribe) and Query (recent messages), side by side.
     *
     * A failure after the subscription was written would leave the others never told: a retry
     * finds the subscription there and, a repeat being indistinguishable from a retry, says
     * nothing. So a failed attempt marks the subscription unfinished (one more request, on the
     * failure path only), and the subscribe that finds the mark announces and settles what the
     * failed one owed, then clears it.
     */
    subscribe(request: RequestInfo, { roomName, userName }: SubscribeAction): Promise<RouteOutcome> {
      return run(request, 'subscribe', async () => {
        const { connectionId } = request
        // Both settle before anything is decided: a route never returns with its work still running.
        const [subscribing, reading] = await Promise.allSettled([
          repository.subscribe({ roomName, connectionId, userName }),
          repository.recentMessages(roomName, { limit: recentMessagesLimit }),
        ])
        if (subscribing.status === 'rejected' || reading.status === 'rejected') {
          const error =
            subscribing.status === 'rejected' ? subscribing.reason : (reading as PromiseRejectedResult).reason
          await leaveUnfinished('subscribe', roomName, connectionId, error)
          throw error
        }
        const result = subscribing.value
        const messages = reading.value.map(({ id, userName, message, time }) => ({
          id,
          userName,
          message,
          time,
        }))
        if (result.large) {
          // A large room: a count and a sample of names, and no announcement of the join.
          await broadcaster.post([{ connectionId, frame: largeRoomState(roomName, result.large, messages) }])
          if (result.subscribed)
            await announceRoomStats(roomName, result.large.shards, result.large.subscriberCount)
          return
        }
        const others = result.subscribers.filter((s) => s.connectionId !== connectionId)
        const state = fitSubscribedFrame({
          type: 'subscribed',
          roomName,
          users: userNamesOf(result.subscribers),
          messages,
        })
        const deliveries: Delivery[] = [{ connectionId, frame: state }]
        if ((result.subscribed || result.unfinished) && announcesJoin(result.subscribers, connectionId)) {
          const joined: ServerFrame = { type: 'userSubscribed', roomName, userName: result.userName }
          for (const other of others) deliveries.push({ connectionId: other.connectionId, frame: joined })
        }
        await broadcaster.post(deliveries)
        if (result.unfinished) {
          // Done; if the mark stays, the next subscribe only announces the name once more.
          await repository.markFinished({ roomName, connectionId }).catch((error: unknown) =>
            logger.warn('subscribe.unfinishedKept', {
              connectionId,
              roomName,
              error: describeError(error),
            }),
          )
        }
      })
    },

    /**
     * The leaver gets `unsubscribed` (also when it was not subscribed: leaving is idempotent);
     * the others get `userUnsubscribed` when the user name left the room with it.
     * A failure after the leave was written marks its departure unfinished, as `subscribe`
     * does; the retry finds the departure, so it knows the name to announce.
     */
    unsubscribe(request: RequestInfo, { roomName }: UnsubscribeAction): Promise<RouteOutcome> {
      return run(request, 'unsubscribe', async () => {
        const { connectionId } = request
        const result = await repository
          .unsubscribe({ roomName, connectionId })
          .catch(async (error: unknown) => {
            await leaveUnfinished('unsubscribe', roomName, connectionId, error)
            throw error
          })
        const deliveries: Delivery[] = [{ connectionId, frame: { type: 'unsubscribed', roomName } }]
        if (result.large) {
          await broadcaster.post(deliveries)
          if (result.unsubscribed) await announceRoomStats(roomName, result.large.shards)
          return
        }
        const { userName } = result
        if (
          result.unsubscribed &&
          userName !== undefined &&
          !result.subscribers.some((s) => s.userName === userName)
        ) {
          const left: ServerFrame = { type: 'userUnsubscribed', roomName, userName }
          for (const other of result.subscribers)
            deliveries.push({ connectionId: other.connectionId, frame: left })
        }
        await broadcaster.post(deliveries)
      })
    },

    /**
     * Stores the message and posts it to every subscriber, the sender included. The message id
     * and time come from the request, so a retried request stores nothing new; it is posted
     * again all the same (at-least-once: the first attempt may have died before posting).
     * A large room's message is stored only once its fan-out jobs are queued: a failure to
     * publish is a 500 with nothing stored, so the client's resend (a new frame, a new id)
     * leaves one copy, not two, and that copy is the one delivered.
     */
    sendMessage(request: RequestInfo, { roomName, message }: SendMessageAction): Promise<RouteOutcome> {
      return run(request, 'sendMessage', async () => {
        const frameOf = (stored: ChatMessage): ServerFrame => ({
          type: 'newMessage',
          roomName,
          message: { id: stored.id, userName: stored.userName, message: stored.message, time: stored.time },
        })
        const posted = await repository.postMessage({
          roomName,
          connectionId: request.connectionId,
          message,
          id: messageIdFor(request.requestId),
          time: request.requestTimeEpoch ?? clock(),
          ...(publisher?.kind === 'queue'
            ? {
                beforeLargeStore: (stored: ChatMessage, { shards }: { shards: number }) =>
                  fanOutFrame(roomName, shards, frameOf(stored)),
              }
            : {}),
        })
        if (!posted.stored) {
          logger.warn('message.repeated', { connectionId: request.connectionId, id: posted.message.id })
        }
        const frame = frameOf(posted.message)
        // A large room's members are reached through the publisher: a queue's before the message
        // was stored (above), any other's now.
        if (posted.large) {
          if (publisher?.kind !== 'queue') await fanOutFrame(roomName, posted.large.shards, frame)
        } else await broadcaster.post(posted.recipients.map(({ connectionId }) => ({ connectionId, frame })))
      })
    },

    /**
     * A page of the active rooms, in creation order: `limit` of them (default 1,000, about what
     * one frame holds) after `cursor`, with `nextCursor` when more follow. Requests: one Query
     * per listing shard (one with the default single shard); none while a cached first page is
     * fresh (`roomListCacheMs`).
     */
    listRooms(request: RequestInfo, action?: ListRoomsAction): Promise<RouteOutcome> {
      return run(request, 'listRooms', async () => {
        const page = await repository.activeRoomsPage({ limit: action?.limit, cursor: action?.cursor })
        const frame: RoomListFrame = page.nextCursor
          ? { type: 'roomList', rooms: page.rooms, nextCursor: page.nextCursor }
          : { type: 'roomList', rooms: page.rooms }
        await reply(request, fitRoomListFrame(frame, undefined, page.cursorAfter))
      })
    },
  }
  return service
}

export type ChatService = ReturnType<typeof createChatService>
