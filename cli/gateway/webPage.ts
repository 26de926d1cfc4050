import { readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { chatLimitsScript } from './webLimits.js'

const SCRIPT = 'text/javascript; charset=utf-8'

/**
 * The chat page's modules (`web/chat/`, imported by `chat.js`, which `index.html` loads with
 * `<script type="module">`). Same origin, so the browser's CORS-mode fetch of a module needs no
 * CORS headers; `script-src` falls back to `default-src 'self'`, which allows them.
 */
export const CHAT_MODULES = [
  'frames.js',
  'render.js',
  'roomList.js',
  'rooms.js',
  'rules.js',
  'socket.js',
  'state.js',
  'ui.js',
] as const

/**
 * The chat page's and the operator view's files, by URL path. They sit beside this module (`cli/gateway/web/`, copied to
 * `dist/cli/gateway/web/` by the build), so the installed package serves the same bytes.
 */
const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/chat.js': { file: 'chat.js', type: SCRIPT },
  ...Object.fromEntries(
    CHAT_MODULES.map((file) => [`/chat/${file}`, { file: `chat/${file}`, type: SCRIPT }]),
  ),
  // What both pages share: the base rules, and how names and times are shown.
  '/format.js': { file: 'format.js', type: SCRIPT },
  '/base.css': { file: 'base.css', type: 'text/css; charset=utf-8' },
  '/chat.css': { file: 'chat.css', type: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
  // The operator view (its data comes from /inspect/api/, see inspectApi.ts).
  '/inspect': { file: 'inspect.html', type: 'text/html; charset=utf-8' },
  '/inspect.js': { file: 'inspect.js', type: SCRIPT },
  '/inspect.css': { file: 'inspect.css', type: 'text/css; charset=utf-8' },
}

/** Files written by the gateway itself rather than read from `web/`. */
const GENERATED: Record<string, { write: () => string; type: string }> = {
  '/limits.js': { write: chatLimitsScript, type: SCRIPT },
}

const cache = new Map<string, Buffer>()
/** The body of a path, read or written once. */
function bodyOf(path: string, asset: { file: string } | { write: () => string }): Buffer {
  let body = cache.get(path)
  if (!body) {
    body =
      'file' in asset
        ? readFileSync(new URL(`./web/${asset.file}`, import.meta.url))
        : Buffer.from(asset.write(), 'utf8')
    cache.set(path, body)
  }
  return body
}

/**
 * Serves the chat page and its assets for `GET`/`HEAD`; answers `false` for any other path so
 * the caller can answer it. The Content-Security-Policy allows the page's own origin and its
 * WebSocket only: no inline script or style, nothing from elsewhere. `authority` is the host[:port]
 * the browser used, already checked to be one the gateway answers to (see `createRequestGuard`):
 * the page connects to `location.host`.
 *
 * @example
 * createServer((request, response) => {
 *   if (!serveWebPage(request, response, '127.0.0.1:3001')) response.writeHead(404).end()
 * })
 */
export function serveWebPage(request: IncomingMessage, response: ServerResponse, authority: string): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false
  const path = (request.url ?? '/').split('?')[0] as string
  const asset = ASSETS[path] ?? GENERATED[path]
  if (!asset) return false
  const body = bodyOf(path, asset)
  request.resume()
  response.writeHead(200, {
    'content-type': asset.type,
    'content-length': body.length,
    'content-security-policy': `default-src 'self'; connect-src 'self' ws://${authority}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  })
  response.end(request.method === 'HEAD' ? undefined : body)
  return true
}
