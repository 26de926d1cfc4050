import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { BatchWriteOptions } from './batchWrite.js'

/**
 * The types the repository's methods take and answer, apart from the code: the decoders
 * (`savedItems.ts`), the room reads and the method modules all import them from here, so no
 * module needs another's implementation for its types.
 */

/** What settling a room did to its listing. */
export type RoomTransition = 'created' | 'reactivated' | 'emptied'

export interface Subscriber {
  connectionId: string
  userName: string
  subscribedAt: number
  /** The subscribe call that wrote the subscription (absent on items written before it was kept). */
  attempt?: string
  /** A request failed after touching this subscription: the next one finishes its work. */
  unfinished?: boolean
}

export interface RoomState {
  roomName: string
  createdAt: number
  listed: boolean
  version: number
  /** Set once the room is large: the number of its subscription shards. */
  shards?: number
}

/** What one consistent Query of a room's subscription partition tells. */
export interface RoomSnapshot {
  roomName: string
  /** The room's guard item, absent for a room never created. */
  state: RoomState | undefined
  /** Subscribers in sort-key order (by connection id). */
  subscribers: Subscriber[]
  /** A large room's base-partition subscriber counter, read in the same Query (absent otherwise). */
  baseCount?: number
  /** When the room was marked large (epoch ms, the marker's clock), read with `baseCount`. */
  markedAt?: number
  /** The token of the base counter's last count or repair, read with `baseCount`. */
  baseCountToken?: string
}

export interface ChatRepositoryOptions {
  documentClient: DynamoDBDocumentClient
  /** Table name (default `chat`). */
  tableName?: string
  /** Clock in epoch milliseconds (default `Date.now`). */
  now?: () => number
  /** Recent messages returned when no limit is given (default 50). */
  recentMessagesLimit?: number
  /** Page size for queries that read whole partitions; DynamoDB's 1 MB pages when unset. */
  pageSize?: number
  /** Rooms settled at once when a connection goes (default 8). */
  concurrency?: number
  /**
   * Rooms one connection may be subscribed to (default 100): `limit.roomsPerConnection`.
   * `Infinity` turns the check (and the GSI count it costs) off, as the operator CLI does.
   */
  maxRoomsPerConnection?: number
  /** Subscribers one room may have (default 10,000; every broadcast reads them all): `limit.roomFull`. */
  maxSubscribersPerRoom?: number
  /** Days a new message is kept: sets its `expiresAt` for DynamoDB's TTL (unset: kept for ever). */
  messageRetentionDays?: number
  /**
   * Write shards of each user name's message history in the GSI (default 1: the plain name, the
   * layout before sharding). A message goes to `data = <user>` (shard 0) or `<user>|<k>`, k a
   * stable hash of its id; `historyOfUser` reads every shard. See docs/data-model.md.
   */
  userHistoryShards?: number
  /**
   * Shards `historyOfUser` reads (default `userHistoryShards`; never fewer). Keep it at the old
   * count after lowering `userHistoryShards`, or the messages in the dropped shards disappear
   * from history.
   */
  userHistoryReadShards?: number
  batchWrite?: BatchWriteOptions
  /**
   * Partitions the room listing is spread over (default 1: the single `Room` partition). Each
   * carries about 500 room transitions a second; see docs/data-model.md. Every process of a
   * deployment must use the same value (`CHATDB_ROOM_LISTING_SHARDS`).
   */
  roomListingShards?: number
  /**
   * Milliseconds the first page of the room listing may be answered from this repository's
   * memory (default 0: every call reads the table). `CHATDB_ROOM_LIST_CACHE_MS`.
   */
  roomListCacheMs?: number
  /**
   * `$disconnect` storms (docs/data-model.md, "Disconnect storms"): a leaver reads at most this
   * many items of each room it leaves (default 100). A room that fits is settled and announced
   * as always; a bigger one coalesces its departures through its presence outbox: one full read
   * and one presence frame per burst. `Infinity`: every leaver reads its rooms in full.
   */
  coalesceFrom?: number
  /** How long the holder of a burst collects departures before announcing them (ms, default 250). */
  coalesceWindowMs?: number
  /** A burst held longer than this is taken over by the next leaver (ms, default 10 × window + 1,000). */
  coalesceLeaseMs?: number
  /** How the holder of a burst waits out the window (default a timer; tests pass their own). */
  sleep?: (ms: number) => Promise<void>
  /**
   * Subscribers at which a room becomes large, for good (default 1,000; `Infinity`: never;
   * `CHATDB_LARGE_ROOM_THRESHOLD`). A large room's new subscriptions are spread over shard
   * partitions, its broadcast goes through the fan-out queue, and it announces a subscriber
   * count instead of each join and leave (docs/data-model.md, "Large rooms"). Below it a room
   * keeps the layout and request budget of a small one. A large room has no subscriber cap
   * (`maxSubscribersPerRoom` caps small rooms, whose every broadcast reads them whole).
   */
  largeRoomThreshold?: number
  /**
   * Shard partitions a room gets when it becomes large (default 64, 1–1,024;
   * `CHATDB_LARGE_ROOM_SHARDS`): recorded on the room then, so changing it affects only rooms
   * that become large afterwards.
   */
  largeRoomShards?: number
}

export interface ChatMessage {
  roomName: string
  userName: string
  message: string
  /** Epoch milliseconds. */
  time: number
  id: string
  connectionId: string
}

export interface ActiveRoom {
  roomName: string
  createdAt: number
}

/** What a large room's subscribe tells beyond a small room's. */
export interface LargeRoomView {
  shards: number
  /** Approximate: the sum of the room's per-partition counters. */
  subscriberCount: number
  /** At most 100 distinct user names of the room, sorted (`LARGE_ROOM_SAMPLE`). */
  sample: string[]
}

/** What every subscribe answers, whatever the room's layout. */
interface Subscribed {
  /**
   * False when the connection was already subscribed (the call changed nothing). True when this
   * call wrote the subscription, also when its answer was lost and the SDK's retry found it there.
   */
  subscribed: boolean
  /** The user name the subscription holds: the first subscribe binds it. */
  userName: string
  transition: RoomTransition | undefined
}

/**
 * What a subscribe answers, by the room's layout (switch on `layout`): a small room's every
 * subscriber, or a large room's shards, approximate count and sample of names. The subscribe that
 * makes a room large answers `large`.
 */
export type SubscribeResult =
  | (Subscribed & {
      layout: 'small'
      /**
       * The subscription was already there, left by a request that failed after writing it
       * (`markUnfinished`): its announcement is owed. The room's listing was re-applied.
       */
      unfinished: boolean
      /** Everyone subscribed after the call, the caller included. */
      subscribers: Subscriber[]
    })
  | (Subscribed & LargeRoomView & { layout: 'large' })

/** What every unsubscribe answers, whatever the room's layout. */
interface Unsubscribed {
  /**
   * False when the connection was not subscribed, or had already left (a repeat). True when
   * this call left, also when its answer was lost and the SDK's retry found its own departure,
   * and when it finishes a leave whose request failed (`markUnfinished`).
   */
  unsubscribed: boolean
  userName: string | undefined
  transition: RoomTransition | undefined
}

/** What an unsubscribe answers: a small room's remaining subscribers, or a large room's shards (it is not read whole). */
export type UnsubscribeResult =
  | (Unsubscribed & { layout: 'small' /** Everyone still subscribed. */; subscribers: Subscriber[] })
  | (Unsubscribed & { layout: 'large'; shards: number })

/** What every post answers. */
interface Posted {
  message: ChatMessage
  /** False when a message with this id was already stored (a retried request). */
  stored: boolean
}

/**
 * What a post answers: a small room's broadcast targets (its subscribers, sender included), or a
 * large room's shards: its broadcast goes shard by shard (fan-out jobs).
 */
export type PostResult =
  | (Posted & { layout: 'small'; recipients: Subscriber[] })
  | (Posted & { layout: 'large'; shards: number })

/** What every removal of a subscription (`removeConnection`) answers. */
interface Removal {
  roomName: string
  userName: string
}

/**
 * A subscription `removeConnection` deleted, and what became of its room: a small room's
 * remaining subscribers (who hear of it), a large room's shards (nobody is told of the
 * departure: the room's count is), or, when the room could not be read or settled after the
 * delete, the error (`layout: 'unknown'`): its subscribers are unknown, so they cannot be told,
 * and its listing waits for the room's next subscribe or unsubscribe (or `chatdb cleanup rooms`).
 */
export type RemovedSubscription =
  | (Removal & {
      layout: 'small'
      /** Subscribers left in the room. */
      subscribers: Subscriber[]
      transition: RoomTransition | undefined
      /**
       * Set when the room was big (`coalesceFrom`) and the departure went through its presence
       * outbox. `holder: false`: another leaver announces it and settles the room; `subscribers` is
       * empty (the room was not read in full) and `transition` undefined. `holder: true`: this call
       * held the burst, `userNames` are the names that left in it (this one included), and
       * `subscribers` and `transition` are those of the room read and settled after all of them.
       */
      burst?: { holder: false } | { holder: true; userNames: string[] }
      error?: never
    })
  | (Removal & { layout: 'large'; shards: number; transition: RoomTransition | undefined; error?: never })
  | (Removal & { layout: 'unknown'; error: unknown })

export interface UserHistory {
  roomName: string
  messages: ChatMessage[]
}
