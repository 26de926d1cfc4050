/**
 * Frames the server sends to clients (docs/protocol.md, Decisions). Every frame carries `type`.
 * Client → server frames (actions) are in `actions.ts`.
 */

/**
 * A chat message as clients see it: `time` is epoch milliseconds. Delivery is at least once, so
 * a client drops a message whose `id` it has already seen, and orders messages by `(time, id)`.
 */
export interface ChatMessageFrame {
  /** The message's id, unique within its room (the same for every copy of a delivery). */
  id: string
  userName: string
  message: string
  time: number
}

/** How much a frame left out to stay under API Gateway's 128 KB (see docs/protocol.md). */
export interface Truncation {
  /** Oldest messages left out. */
  messages: number
  /** User names left out (from the end of the sorted list). */
  users: number
}

/** The room state, answered to the subscriber. */
export interface SubscribedFrame {
  type: 'subscribed'
  roomName: string
  /** Distinct user names, sorted. */
  users: string[]
  /** Recent messages, oldest first. */
  messages: ChatMessageFrame[]
  /** Present only when the state was trimmed to fit 128 KB. */
  truncated?: Truncation
  /**
   * Present only in a large room (docs/protocol.md, "Large rooms"): about how many connections
   * are subscribed. `users` is then a bounded sample of the names, and the room sends no
   * `userSubscribed`/`userUnsubscribed`, only `roomStats` from time to time.
   */
  subscriberCount?: number
}

/** Answered to the connection that left a room. */
export interface UnsubscribedFrame {
  type: 'unsubscribed'
  roomName: string
}

/** Sent to every subscriber of the room, the sender included. */
export interface NewMessageFrame {
  type: 'newMessage'
  roomName: string
  message: ChatMessageFrame
}

/** Sent to a room's other subscribers when a user name joins it. */
export interface UserSubscribedFrame {
  type: 'userSubscribed'
  roomName: string
  userName: string
}

/** Sent to a room's remaining subscribers when a user name leaves it. */
export interface UserUnsubscribedFrame {
  type: 'userUnsubscribed'
  roomName: string
  userName: string
}

/**
 * Sent to a room's remaining subscribers once per burst of departures from a big room (a
 * `$disconnect` storm, docs/protocol.md): the user names that left it, sorted. A burst of one
 * name is a `userUnsubscribed`; a burst too long for 128 KB comes as several of these.
 */
export interface UsersUnsubscribedFrame {
  type: 'usersUnsubscribed'
  roomName: string
  userNames: string[]
}

export interface RoomListEntry {
  roomName: string
  /** Epoch milliseconds. */
  createdAt: number
}

/** The active rooms, in creation order. */
export interface RoomListFrame {
  type: 'roomList'
  rooms: RoomListEntry[]
  /**
   * Present only when a list was trimmed to fit 128 KB without a cursor to point on with (a
   * library caller's `fitRoomListFrame` without `cursorAfter`): how many of the newest rooms were
   * left out. The service pages instead, with `nextCursor`.
   */
  truncated?: { rooms: number }
  /**
   * Present when more active rooms follow this page: send it back as `listRooms`'s `cursor` for
   * the next page. Opaque; a page trimmed to fit 128 KB points right after its last room.
   */
  nextCursor?: string
}

export type ErrorStatusCode = 400 | 500

/** A failed action. `action` is the action's name when the frame parsed that far. */
export interface ErrorFrame {
  type: 'error'
  action?: string
  statusCode: ErrorStatusCode
  error: 'Bad Request' | 'Internal Server Error'
  message: string
}

/**
 * Sent to every subscriber of a large room, at most once per interval while its membership
 * changes: the approximate subscriber count, which replaces per-member presence frames there.
 */
export interface RoomStatsFrame {
  type: 'roomStats'
  roomName: string
  subscriberCount: number
}

export type ServerFrame =
  | SubscribedFrame
  | RoomStatsFrame
  | UnsubscribedFrame
  | NewMessageFrame
  | UserSubscribedFrame
  | UserUnsubscribedFrame
  | UsersUnsubscribedFrame
  | RoomListFrame
  | ErrorFrame

export type ServerFrameType = ServerFrame['type']
