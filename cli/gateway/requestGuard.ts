import type { IncomingHttpHeaders } from 'node:http'
import { isIP } from 'node:net'

/** Who may use the local gateway from a browser (see `createRequestGuard`). */
export interface RequestGuardOptions {
  /** The address the gateway listens on. */
  host: string
  /** More names the gateway answers to (`--allow-host`), besides its address and `localhost`. */
  allowedHosts?: readonly string[]
  /** More page origins that may open a WebSocket (`--allow-origin`), besides the gateway's own. */
  allowedOrigins?: readonly string[]
}

export interface RequestGuard {
  /** The request's Host, normalised, when it is one the gateway answers to; else undefined. */
  host(headers: IncomingHttpHeaders): string | undefined
  /** Whether a WebSocket upgrade may open: no Origin (not a browser), the gateway's own page, or an allowed origin. */
  originAllowed(headers: IncomingHttpHeaders): boolean
}

const WILDCARDS = new Set(['0.0.0.0', '::'])
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]']

/** `host[:port]` as a URL has it (lowercase, IPv6 in brackets), or undefined when it is not one. */
function parseAuthority(authority: string): URL | undefined {
  // A Host is a name or an address and maybe a port: nothing a URL would read as userinfo or path.
  if (!/^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/.test(authority)) return undefined
  try {
    return new URL(`http://${authority}`)
  } catch {
    return undefined
  }
}

function bracketed(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host
}

/** Addresses only this machine can reach (`localhost`, `::1`, `127.x.x.x`). */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

/**
 * A normalised page origin (`scheme://host[:port]`, the default port left out), or undefined when
 * `origin` is not exactly one (a path, `*`, `null`).
 */
export function normaliseOrigin(origin: string): string | undefined {
  let url: URL
  try {
    url = new URL(origin)
  } catch {
    return undefined
  }
  const bare = url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password
  return bare && (url.protocol === 'http:' || url.protocol === 'https:') ? url.origin : undefined
}

/** A name for `--allow-host`: a DNS name (no port, no scheme), lowercased; undefined when it is not one. */
export function normaliseHostName(name: string): string | undefined {
  const url = parseAuthority(name)
  return url && url.port === '' && !name.startsWith('[') ? url.hostname : undefined
}

/**
 * The local gateway's answer to cross-site use by the pages a developer visits. A browser always
 * sends `Host` as it resolved the URL and `Origin` on WebSocket upgrades:
 * - a DNS-rebinding page reaches the port under its own name, so requests whose Host is not the
 *   bound address, `localhost` (and the loopback addresses when bound to loopback), any IP
 *   address when bound to a wildcard, or an allowed name are refused;
 * - a page of another site opens `ws://127.0.0.1:3001` with its own Origin, so an upgrade whose
 *   Origin is not `http://<a name it answers to>:<the port it was reached on>` or an allowed
 *   origin is refused. Clients that send no Origin (the SDK, `ws`, wscat) are not browsers and
 *   open as before.
 */
export function createRequestGuard(options: RequestGuardOptions): RequestGuard {
  const bound = options.host
  const wildcard = WILDCARDS.has(bound)
  const names = new Set<string>(['localhost'])
  if (!wildcard) names.add(parseAuthority(bracketed(bound))?.hostname ?? bound.toLowerCase())
  if (isLoopbackHost(bound)) for (const name of LOOPBACK_NAMES) names.add(name)
  for (const name of options.allowedHosts ?? []) {
    const normalised = normaliseHostName(name)
    if (!normalised) throw new RangeError(`allowedHosts: ${JSON.stringify(name)} is not a host name`)
    names.add(normalised)
  }
  const origins = new Set<string>()
  for (const origin of options.allowedOrigins ?? []) {
    const normalised = normaliseOrigin(origin)
    if (!normalised) throw new RangeError(`allowedOrigins: ${JSON.stringify(origin)} is not an origin`)
    origins.add(normalised)
  }

  // Bound to every address, any IP literal reaches it: an address is never a rebinding name.
  const answersTo = (hostname: string) =>
    names.has(hostname) || (wildcard && isIP(hostname.replace(/^\[|\]$/g, '')) !== 0)

  const hostOf = (headers: IncomingHttpHeaders) => {
    const url = headers.host ? parseAuthority(headers.host) : undefined
    return url && answersTo(url.hostname) ? url.host : undefined
  }

  return {
    host: hostOf,
    originAllowed(headers) {
      const origin = headers.origin
      if (origin === undefined) return true
      let page: URL
      try {
        page = new URL(origin)
      } catch {
        return false
      }
      if (origins.has(page.origin)) return true
      // Its own page: served under a name it answers to, on the port this request came to (the
      // port the browser sees, which a port forward may change).
      const target = hostOf(headers)
      const targetPort = target && parseAuthority(target)?.port
      return (
        page.protocol === 'http:' &&
        target !== undefined &&
        page.port === targetPort &&
        answersTo(page.hostname)
      )
    },
  }
}
