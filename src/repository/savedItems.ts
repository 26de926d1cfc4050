import { userNameOfHistoryKey } from '../keys.js'
import type { ActiveRoom, ChatMessage, RoomState, Subscriber } from './types.js'

/**
 * Reads items as they are saved, for the hot read paths.
 *
 * The queries are still built by dynamodb-toolbox (`.params()`: key conditions, the entity
 * filter); only the formatting of the answer is done here. Toolbox's formatter validates every
 * attribute of every item against the schema, which measured at ~35 µs per item, 1.6× the cost
 * of the whole Query for a 100-subscriber room (docs/benchmarks.md). These mappers read the
 * attribute names the entities save (`data` is where `savedAs('data')` puts the GSI key); the
 * entity tests fail if the two drift.
 */
type Saved = Record<string, unknown>

export const ENTITY_ATTRIBUTE = '_et'

export function savedSubscriber(item: Saved): Subscriber {
  const subscriber: Subscriber = {
    connectionId: item.data as string,
    userName: item.userName as string,
    subscribedAt: item.subscribedAt as number,
  }
  // Only when present, so a subscriber reads the same as before where they are absent.
  if (typeof item.attempt === 'string') subscriber.attempt = item.attempt
  if (item.unfinished === true) subscriber.unfinished = true
  return subscriber
}

export function savedRoomState(item: Saved): RoomState {
  const state: RoomState = {
    roomName: item.roomName as string,
    createdAt: item.createdAt as number,
    listed: item.listed as boolean,
    version: item.version as number,
  }
  // Only when present, so a small room's state reads as it always did.
  if (typeof item.shards === 'number') state.shards = item.shards
  return state
}

export function savedMessage(item: Saved): ChatMessage {
  return {
    roomName: item.roomName as string,
    // A sharded history key (`<user>|<k>`) still reads as the plain name.
    userName: userNameOfHistoryKey(item.data as string),
    message: item.message as string,
    time: item.time as number,
    id: item.id as string,
    connectionId: item.connectionId as string,
  }
}

export function savedActiveRoom(item: Saved): ActiveRoom {
  return { roomName: item.data as string, createdAt: item.createdAt as number }
}
