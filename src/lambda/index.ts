/**
 * The package export `chatdb/lambda`: the chat's API Gateway WebSocket route handlers
 * (`routes.ts`: `handler` and one per route, `createRouter`) and the fan-out worker of large
 * rooms (`worker.ts`: `fanOutHandler`, `createFanOutHandler`). `npm run build:lambda` bundles the
 * two apart, so each function loads only its own code.
 *
 * @example
 * // template: Handler: node_modules/chatdb/dist/src/lambda/index.handler
 * export { handler } from 'chatdb/lambda'
 */
export * from './routes.js'
export * from './worker.js'
