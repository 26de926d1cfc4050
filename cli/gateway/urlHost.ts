/**
 * The host part of a URL that reaches a server bound to `host` from this machine: a wildcard
 * address is not somewhere to connect to, so the gateway (and whoever checks on it) uses loopback.
 */
export function urlHost(host: string): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host
  return reachable.includes(':') ? `[${reachable}]` : reachable
}
