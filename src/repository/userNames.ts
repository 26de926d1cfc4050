import type { Subscriber } from './types.js'

/**
 * The distinct user names among `subscribers`, sorted: one user may hold several connections.
 * Pure, so the protocol service (which loads nothing of AWS) answers `users` by the same rule.
 */
export function userNamesOf(subscribers: readonly Pick<Subscriber, 'userName'>[]): string[] {
  return [...new Set(subscribers.map((s) => s.userName))].sort()
}

/**
 * Whether the subscription of `connectionId` is the one that announces its user name joining:
 * no other connection of the same name subscribed before it, ordered by `(subscribedAt,
 * connectionId)`. Read from a snapshot taken after the subscription was written.
 *
 * "Announce when no other connection holds the name" is not enough: two connections joining
 * under one name at once each see the other, and neither would announce. With a total order,
 * the earliest of the two always announces:
 *
 *     A puts (t=5)   B puts (t=5)   A reads {A, B}: A < B  → A announces
 *                                   B reads {A, B}: A < B  → B stays quiet
 *
 * An earlier holder of the name already announced it (or, when its own request failed, the
 * retry will). A clock skewed between two writers can make both think they are first: a
 * duplicate, never a silence.
 */
export function announcesJoin(
  subscribers: readonly Pick<Subscriber, 'connectionId' | 'userName' | 'subscribedAt'>[],
  connectionId: string,
): boolean {
  const own = subscribers.find((s) => s.connectionId === connectionId)
  if (!own) return true
  return !subscribers.some(
    (s) =>
      s.connectionId !== connectionId &&
      s.userName === own.userName &&
      (s.subscribedAt < own.subscribedAt ||
        (s.subscribedAt === own.subscribedAt && s.connectionId < own.connectionId)),
  )
}
