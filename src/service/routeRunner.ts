import { describeError } from '../log/jsonLogger.js'
import type { ActionName } from '../protocol/actions.js'
import { errorFrameFor } from '../protocol/errorFrame.js'
import type { ErrorFrame, ServerFrame } from '../protocol/frames.js'
import type { Broadcaster, ChatServiceRepository, RequestInfo, RouteOutcome, ServiceLogger } from './types.js'

/**
 * How every route of the chat service ends: its work done (200), or an error frame to the caller
 * (400 for the client's mistakes, 500 for ours, logged). Apart from the routes so that each route
 * reads as its protocol steps only.
 */
export function createRouteRunner({
  repository,
  broadcaster,
  logger,
}: {
  repository: Pick<ChatServiceRepository, 'markUnfinished'>
  broadcaster: Broadcaster
  logger: ServiceLogger
}) {
  const reply = (request: RequestInfo, frame: ServerFrame) =>
    broadcaster.post([{ connectionId: request.connectionId, frame }])

  async function refuse(request: RequestInfo, frame: ErrorFrame): Promise<RouteOutcome> {
    await reply(request, frame)
    return { statusCode: frame.statusCode }
  }

  async function run(request: RequestInfo, action: ActionName, work: () => Promise<void>) {
    try {
      await work()
      return { statusCode: 200 } as RouteOutcome
    } catch (error) {
      const frame = errorFrameFor(error, action)
      if (frame.statusCode === 500) {
        logger.error('route.failed', {
          route: action,
          connectionId: request.connectionId,
          error: describeError(error),
        })
      }
      return refuse(request, frame)
    }
  }

  /**
   * After a 500, marks the item the failed request may have written, so that the retry finishes
   * its work. Best effort: when even this write fails (a warning; the route failure itself is
   * the error logged), a retry answers but cannot know to announce.
   */
  async function leaveUnfinished(
    route: 'subscribe' | 'unsubscribe',
    roomName: string,
    connectionId: string,
    error: unknown,
  ) {
    if (errorFrameFor(error, route).statusCode !== 500) return
    const of = route === 'subscribe' ? 'subscription' : 'departure'
    await repository.markUnfinished({ roomName, connectionId, of }).catch((markError: unknown) =>
      logger.warn(`${route}.unfinishedUnmarked`, {
        connectionId,
        roomName,
        error: describeError(markError),
      }),
    )
  }

  return { reply, refuse, run, leaveUnfinished }
}
