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
import { fitRoomListFrame } from '../protocol/fitFrame.js'
import type { RoomListFrame, ServerFrame } from '../protocol/frames.js'
import { messageIdFor } from '../protocol/messageId.js'
import type { ChatMessage, RemovedSubscription } from '../repository/types.js'
import { assertConnectionId } from '../validation.js'
import { departureDeliveries, largeRoomState, smallRoomJoinDeliveries } from './roomFrames.js'
import { createRoomStatsAnnouncer } from './roomStatsAnnouncer.js'
import { createRouteRunner } from './routeRunner.js'
import type { ChatServiceOptions, Delivery, RequestInfo, RouteOutcome } from './types.js'

export { DEFAULT_ROOM_STATS_INTERVAL_MS } from './roomStatsAnnouncer.js'
export type { ChatServiceOptions, ChatServiceRepository, RequestInfo, RouteOutcome } from './types.js'

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
  const logger = options.logger ?? createJsonLogger()
  const { reply, refuse, run, leaveUnfinished } = createRouteRunner({ repository, broadcaster, logger })
  const { fanOutFrame, announceRoomStats } = createRoomStatsAnnouncer({
    repository,
    publisher,
    clock,
    logger,
    roomStatsIntervalMs: options.roomStatsIntervalMs,
  })

  /** The large rooms a connection left get a `roomStats` (coalesced, see `announceRoomStats`). */
  async function announceLeaves(removed: RemovedSubscription[]): Promise<void> {
    await Promise.all(
      removed.flatMap((room) =>
        room.layout === 'large' ? [announceRoomStats(room.roomName, room.shards)] : [],
      ),
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
        const failed = removed.flatMap((r) => (r.layout === 'unknown' ? [r] : []))
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
        if (result.layout === 'large') {
          // A large room: a count and a sample of names, and no announcement of the join.
          await broadcaster.post([{ connectionId, frame: largeRoomState(roomName, result, messages) }])
          if (result.subscribed) await announceRoomStats(roomName, result.shards, result.subscriberCount)
          return
        }
        const deliveries = smallRoomJoinDeliveries(roomName, connectionId, result, messages)
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
        if (result.layout === 'large') {
          await broadcaster.post(deliveries)
          if (result.unsubscribed) await announceRoomStats(roomName, result.shards)
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
        if (posted.layout === 'large') {
          if (publisher?.kind !== 'queue') await fanOutFrame(roomName, posted.shards, frame)
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
