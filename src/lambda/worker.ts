/**
 * The fan-out worker of large rooms as a Lambda handler, for the fan-out queue's SQS event source
 * mapping (`ReportBatchItemFailures`), configured from `CHATDB_FANOUT_QUEUE_URL` and the
 * variables `fanOutSettingsFromEnv` reads (docs/operations.md, "Fan-out worker and queue").
 * The entry of its own bundle, `dist/lambda/worker.mjs` (`Handler: worker.fanOutHandler`), built
 * beside the router's by the same `npm run build:lambda`: the router's bundle then carries none of
 * the worker's code (the SQS client, the batch processor), which its cold start would pay for.
 *
 * @example
 * // template: Handler: worker.fanOutHandler
 * export { fanOutHandler } from 'chatdb/lambda'
 */
import { fanOutHandlerFromEnvironment } from './fanOutEnvironment.js'

export {
  FANOUT_REQUEST_TIMEOUT_MS,
  type FanOutSettings,
  fanOutHandlerFromEnvironment,
  fanOutHandlerOf,
  fanOutSettingsFromEnv,
} from './fanOutEnvironment.js'
export { createFanOutHandler, type FanOutHandler, type FanOutHandlerOptions } from './fanOutHandler.js'

export const fanOutHandler = fanOutHandlerFromEnvironment()
