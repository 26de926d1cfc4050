import {
  type ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi'
import { DEFAULT_POST_CONCURRENCY } from '../config/settings.js'
import { ChatDbError } from '../errors.js'
import type { ServiceLogger } from '../log/jsonLogger.js'
import { createJsonLogger, describeError } from '../log/jsonLogger.js'
import type { Broadcaster, BroadcastReport, Delivery } from '../protocol/delivery.js'
import { MAX_OUTGOING_FRAME_BYTES } from '../protocol/fitFrame.js'
import type { ServerFrame } from '../protocol/frames.js'
import { mapWithConcurrency, positiveWholeNumber } from '../util/concurrency.js'

export { DEFAULT_POST_CONCURRENCY }

export interface BroadcasterOptions {
  /** Management API client bound to the API's `@connections` endpoint. */
  client: Pick<ApiGatewayManagementApiClient, 'send'>
  /** Called once per post call for each connection that answered 410 (gone). */
  onGone: (connectionId: string) => Promise<unknown>
  /** Posts in flight at once, a positive whole number (default {@link DEFAULT_POST_CONCURRENCY}, 128). */
  concurrency?: number
  /** Gone connection ids remembered, so they are not posted to (or cleaned up) again (default 10,000). */
  goneMemory?: number
  logger?: ServiceLogger
}

/** Gone connections cleaned up at once after a broadcast (at most the posts in flight). */
const GONE_CLEANUP_CONCURRENCY = 16

/** The frame as posted (UTF-8 JSON), or why it cannot be: over API Gateway's 128 KB. */
function encodeFrame(frame: ServerFrame): Uint8Array | ChatDbError {
  const data = Buffer.from(JSON.stringify(frame), 'utf8')
  if (data.byteLength <= MAX_OUTGOING_FRAME_BYTES) return data
  return new ChatDbError(
    'connections.frameTooLarge',
    `a "${frame.type}" frame of ${data.byteLength} bytes exceeds ${MAX_OUTGOING_FRAME_BYTES}`,
  )
}

/** API Gateway says "gone" with HTTP 410; the error's name alone is not a contract. */
export function isGone(error: unknown): boolean {
  const { name, $metadata } = (error ?? {}) as { name?: string; $metadata?: { httpStatusCode?: number } }
  return $metadata?.httpStatusCode === 410 || name === 'GoneException'
}

/**
 * Posts frames through the API Gateway management API with bounded concurrency. A connection
 * that is gone (410) is handed to `onGone` (which deletes its subscriptions) and the others
 * still get their frames; no post failure rejects the call: it is reported and logged.
 * Frames over 128 KB are never posted (API Gateway would refuse them): callers trim first.
 * Give the client a keep-alive socket per post in flight (`createManagementClient` of
 * `chatdb/lambda` does, and resolves the SDK's middleware once rather than per post).
 *
 * @example
 * const broadcaster = createBroadcaster({
 *   client: createManagementClient({ endpoint, region, timeoutMs: 2_000, maxAttempts: 3, maxSockets: 128 }),
 *   onGone: (connectionId) => repository.removeConnection(connectionId),
 * })
 * await broadcaster.post(ids.map((connectionId) => ({ connectionId, frame })))
 */
export function createBroadcaster(options: BroadcasterOptions): Broadcaster {
  const {
    client,
    onGone,
    concurrency = DEFAULT_POST_CONCURRENCY,
    goneMemory = 10_000,
    logger = createJsonLogger(),
  } = options
  positiveWholeNumber('concurrency', concurrency)
  // API Gateway never reuses a connection id, so one that answered 410 stays gone: skipping it
  // spares a post and a cleanup each time a stale subscription (or a mass disconnect, where
  // every $disconnect posts to the others) brings it up again. Oldest forgotten first.
  const knownGone = new Set<string>()
  const rememberGone = (connectionId: string) => {
    knownGone.add(connectionId)
    if (knownGone.size > goneMemory) knownGone.delete(knownGone.values().next().value as string)
  }

  return {
    async post(deliveries: readonly Delivery[]): Promise<BroadcastReport> {
      const report: BroadcastReport = { delivered: [], gone: [], failed: [] }
      // Each frame is serialized (and its size checked) once, however many connections it goes
      // to: a room's broadcast is one frame for all, so a post only builds and sends its command.
      const payloads = new Map<ServerFrame, Uint8Array | ChatDbError>()
      const payloadOf = (frame: ServerFrame) => {
        let payload = payloads.get(frame)
        if (payload === undefined) {
          payload = encodeFrame(frame)
          payloads.set(frame, payload)
        }
        if (payload instanceof ChatDbError) throw payload
        return payload
      }
      const gone = new Set<string>()
      await mapWithConcurrency(deliveries, concurrency, async ({ connectionId, frame }) => {
        if (knownGone.has(connectionId)) return
        try {
          await client.send(
            new PostToConnectionCommand({ ConnectionId: connectionId, Data: payloadOf(frame) }),
          )
          report.delivered.push(connectionId)
        } catch (error) {
          if (isGone(error)) {
            if (!gone.has(connectionId)) {
              gone.add(connectionId)
              report.gone.push(connectionId)
              rememberGone(connectionId)
            }
          } else {
            report.failed.push({ connectionId, error })
            logger.error('post.failed', { connectionId, frame: frame.type, error: describeError(error) })
          }
        }
      })
      // After the posts, so a slow cleanup never delays delivery to the others. Cleanups are
      // DynamoDB work (a GSI query and deletes each), not posts: they keep the bound they had
      // before posts in flight grew, so a broadcast full of gone connections loads the table as
      // it always did.
      await mapWithConcurrency(
        report.gone,
        Math.min(concurrency, GONE_CLEANUP_CONCURRENCY),
        async (connectionId) => {
          try {
            await onGone(connectionId)
          } catch (error) {
            logger.error('gone.cleanupFailed', { connectionId, error: describeError(error) })
          }
        },
      )
      return report
    },
  }
}
