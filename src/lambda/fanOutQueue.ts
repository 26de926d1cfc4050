import { type Environment, fromEnvironment } from '../config/fromEnvironment.js'
import type { QueuePort } from '../queue/types.js'
// Type only: the adapter's code is loaded by the dynamic import below, never at cold start.
import type { FanOutQueueSettings } from './sqsFanOutQueue.js'

export type { FanOutQueueSettings }

/** The fan-out queue's SQS request timeout (ms) in the Lambdas unless `CHATDB_QUEUE_TIMEOUT_MS` says otherwise. */
export const FANOUT_REQUEST_TIMEOUT_MS = 2_000

/**
 * The fan-out queue from the environment: `CHATDB_FANOUT_QUEUE_URL` (an http(s) URL),
 * `CHATDB_QUEUE_TIMEOUT_MS` (default 2,000) and `CHATDB_QUEUE_MAX_ATTEMPTS` (default: the SDK's 3);
 * undefined when the URL is unset. A bad value throws `validation.option` naming the variable.
 *
 * @example
 * fanOutQueueSettingsFromEnv({ CHATDB_FANOUT_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123/fanout' })?.queueTimeoutMs // 2000
 */
export function fanOutQueueSettingsFromEnv(env: Environment): FanOutQueueSettings | undefined {
  // Checked even without a queue: a typo in a timeout should not wait for the day a queue is set.
  const {
    queueUrl,
    queueTimeoutMs = FANOUT_REQUEST_TIMEOUT_MS,
    queueMaxAttempts,
  } = fromEnvironment(env, ['queueUrl', 'queueTimeoutMs', 'queueMaxAttempts'])
  return queueUrl ? { queueUrl, queueTimeoutMs, queueMaxAttempts } : undefined
}

/**
 * A queue whose adapter is loaded on its first use (and loaded again after a failed load). The
 * router publishes to SQS only for large rooms, so it does not pay for the SQS client at cold
 * start: `npm run build:lambda` puts the adapter in a chunk of its own (bench "Lambda cold start").
 *
 * @example
 * const queue = lazyQueue('fanout', async () => (await import('./sqsFanOutQueue.js')).sqsFanOutQueue(settings))
 */
export function lazyQueue(name: string, load: () => Promise<QueuePort>): QueuePort {
  let loading: Promise<QueuePort> | undefined
  const queue = () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined
      throw error
    })
    return loading
  }
  return {
    name,
    sendBatch: async (messages) => (await queue()).sendBatch(messages),
    receive: async (options) => (await queue()).receive(options),
    deleteBatch: async (handles) => (await queue()).deleteBatch(handles),
    changeVisibility: async (handle, timeoutMs) => (await queue()).changeVisibility(handle, timeoutMs),
  }
}

/**
 * The router's fan-out queue: SQS at `settings.queueUrl`, its adapter and client loaded on the
 * first publish.
 */
export function lazySqsFanOutQueue(settings: FanOutQueueSettings): QueuePort {
  const name = settings.queueUrl.slice(settings.queueUrl.lastIndexOf('/') + 1)
  return lazyQueue(name, async () => (await import('./sqsFanOutQueue.js')).sqsFanOutQueue(settings))
}
