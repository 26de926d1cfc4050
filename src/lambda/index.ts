/**
 * Lambda handlers for the chat's API Gateway WebSocket routes (package export `chatdb/lambda`).
 * Point every route at `handler`, or each route at its own handler. Configuration:
 * `CHATDB_TABLE` (default `chat`), `CHATDB_MANAGEMENT_ENDPOINT` (default: from the event),
 * `CHATDB_RECENT_MESSAGES` (default 50), `CHATDB_MESSAGE_RETENTION_DAYS` (default: no expiry),
 * `AWS_ENDPOINT_URL_DYNAMODB` and the rest of the SDK's own variables.
 *
 * @example
 * // template: Handler: node_modules/chatdb/dist/src/lambda/index.handler
 * export { handler } from 'chatdb/lambda'
 */
import { createDocumentClient } from '../client.js'
import { ChatDbError } from '../errors.js'
import { createRouter, type Router } from './createRouter.js'
import type { WebSocketHandler } from './events.js'

export { createRouter, type Router, type RouterOptions } from './createRouter.js'
export {
  bodyOf,
  managementEndpointOf,
  type RouteResponse,
  requestInfoOf,
  type WebSocketHandler,
} from './events.js'

// Built on the first invocation and kept for the life of the execution environment.
let router: Router | undefined

/** A positive number from the environment, or undefined when unset; anything else is a deployment error. */
function positiveFromEnv(name: string): number | undefined {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return undefined
  const value = Number(raw)
  if (!(value > 0))
    throw new ChatDbError('validation.option', `${name} must be a positive number (got "${raw}")`)
  return value
}

function defaultRouter(): Router {
  router ??= createRouter({
    documentClient: createDocumentClient(),
    tableName: process.env.CHATDB_TABLE || 'chat',
    managementEndpoint: process.env.CHATDB_MANAGEMENT_ENDPOINT || undefined,
    recentMessagesLimit: positiveFromEnv('CHATDB_RECENT_MESSAGES'),
    messageRetentionDays: positiveFromEnv('CHATDB_MESSAGE_RETENTION_DAYS'),
  })
  return router
}

export const handler: WebSocketHandler = (event) => defaultRouter().handler(event)
export const connect: WebSocketHandler = (event) => defaultRouter().connect(event)
export const disconnect: WebSocketHandler = (event) => defaultRouter().disconnect(event)
export const defaultRoute: WebSocketHandler = (event) => defaultRouter().defaultRoute(event)
export const subscribe: WebSocketHandler = (event) => defaultRouter().subscribe(event)
export const unsubscribe: WebSocketHandler = (event) => defaultRouter().unsubscribe(event)
export const sendMessage: WebSocketHandler = (event) => defaultRouter().sendMessage(event)
export const listRooms: WebSocketHandler = (event) => defaultRouter().listRooms(event)
