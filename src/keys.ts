/**
 * Every key of the table is built here and nowhere else (the entities' `computeKey` call these).
 *
 * | item          | pk                      | sk                                   | data (GSI pk) |
 * |---------------|-------------------------|--------------------------------------|---------------|
 * | Room          | `Room`                  | `<true|false>|<created ISO>|<room>`  | room name     |
 * | RoomState     | `Subscription|<room>`   | `#room`                              | —             |
 * | Subscription  | `Subscription|<room>`   | `<room>|<connection id>`             | connection id |
 * | Departure     | `Subscription|<room>`   | `<room>|<connection id>` (the same)  | connection id |
 * | PresenceOutbox| `Subscription|<room>`   | `#leaving`                           | —             |
 * | Message       | `Message|<room>`        | `<room>|<ISO time>|<message id>`     | user name     |
 *
 * Names never contain `|` (validation rejects it), so every prefix below is unambiguous.
 */
export const DELIMITER = '|'
export const ROOM_PARTITION = 'Room'
export const ROOM_STATE_SORT_KEY = '#room'
/** The sort key of a room's presence outbox (the departures of a `$disconnect` burst). */
export const PRESENCE_OUTBOX_SORT_KEY = '#leaving'

/** Timestamps in sort keys are ISO-8601 UTC with milliseconds: they sort as text. */
export function sortableTime(epochMs: number): string {
  return new Date(epochMs).toISOString()
}

export function roomSortKeyPrefix(active: boolean): string {
  return `${active}${DELIMITER}`
}

export function roomKey(room: { roomName: string; active: boolean; createdAt: number }) {
  return {
    pk: ROOM_PARTITION,
    sk: `${roomSortKeyPrefix(room.active)}${sortableTime(room.createdAt)}${DELIMITER}${room.roomName}`,
  }
}

export function subscriptionPartition(roomName: string): string {
  return `Subscription${DELIMITER}${roomName}`
}

export function roomStateKey(roomName: string) {
  return { pk: subscriptionPartition(roomName), sk: ROOM_STATE_SORT_KEY }
}

export function presenceOutboxKey(roomName: string) {
  return { pk: subscriptionPartition(roomName), sk: PRESENCE_OUTBOX_SORT_KEY }
}

export function subscriptionKey(roomName: string, connectionId: string) {
  return { pk: subscriptionPartition(roomName), sk: `${roomName}${DELIMITER}${connectionId}` }
}

export function messagePartition(roomName: string): string {
  return `Message${DELIMITER}${roomName}`
}

export function messageKey(message: { roomName: string; time: number; id: string }) {
  return {
    pk: messagePartition(message.roomName),
    sk: `${message.roomName}${DELIMITER}${sortableTime(message.time)}${DELIMITER}${message.id}`,
  }
}
