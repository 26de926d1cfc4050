import { createSqsClient } from '../queue/sqsClient.js'
import { createSqsQueue } from '../queue/sqsQueue.js'
import type { QueuePort } from '../queue/types.js'

/** Where fan-out jobs go, and how the SQS client talks to it: what the router and the worker share. */
export interface FanOutQueueSettings {
  queueUrl: string
  queueTimeoutMs: number
  queueMaxAttempts: number | undefined
}

/**
 * The fan-out queue on SQS as the Lambdas configure it: the router (loaded on its first publish,
 * see `lazySqsFanOutQueue`) and the worker (at its first invocation) build it the same way.
 */
export function sqsFanOutQueue(settings: FanOutQueueSettings): QueuePort {
  return createSqsQueue({
    client: createSqsClient({
      requestTimeoutMs: settings.queueTimeoutMs,
      maxAttempts: settings.queueMaxAttempts,
    }),
    queueUrl: settings.queueUrl,
  })
}
