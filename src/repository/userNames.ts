import type { Subscriber } from './roomSnapshot.js'

/**
 * The distinct user names among `subscribers`, sorted: one user may hold several connections.
 * Pure, so the protocol service (which loads nothing of AWS) answers `users` by the same rule.
 */
export function userNamesOf(subscribers: readonly Pick<Subscriber, 'userName'>[]): string[] {
  return [...new Set(subscribers.map((s) => s.userName))].sort()
}
