import { fitSubscribedFrame, MAX_OUTGOING_FRAME_BYTES } from '../protocol/fitFrame.js'
import type { ChatMessageFrame, ServerFrame, SubscribedFrame } from '../protocol/frames.js'
import { departureFrames } from '../protocol/presenceFrames.js'
import type { LargeRoomView, RemovedSubscription, SubscribeResult } from '../repository/types.js'
import { announcesJoin, userNamesOf } from '../repository/userNames.js'
import type { Delivery } from './types.js'

/**
 * A large room's state for a subscriber: the sample of names and the room's approximate count,
 * `truncated.users` counting the names the sample leaves out (docs/protocol.md, "Large rooms").
 */
export function largeRoomState(
  roomName: string,
  room: LargeRoomView,
  messages: ChatMessageFrame[],
): SubscribedFrame {
  const beyondSample = Math.max(0, room.subscriberCount - room.sample.length)
  // Room for the digits of the counts added after fitting.
  const fitted = fitSubscribedFrame(
    { type: 'subscribed', roomName, users: room.sample, messages, subscriberCount: room.subscriberCount },
    MAX_OUTGOING_FRAME_BYTES - 64,
  )
  const truncated = {
    messages: fitted.truncated?.messages ?? 0,
    users: (fitted.truncated?.users ?? 0) + beyondSample,
  }
  return truncated.messages === 0 && truncated.users === 0 ? fitted : { ...fitted, truncated }
}

/**
 * A small room's subscribe: the room state (every name, the recent messages) for the subscriber,
 * and `userSubscribed` for the others when this subscription (or the one a failed request left
 * unfinished) brings its user name into the room (`announcesJoin`).
 */
export function smallRoomJoinDeliveries(
  roomName: string,
  connectionId: string,
  result: Extract<SubscribeResult, { layout: 'small' }>,
  messages: ChatMessageFrame[],
): Delivery[] {
  const users = userNamesOf(result.subscribers)
  const state = fitSubscribedFrame({ type: 'subscribed', roomName, users, messages })
  const deliveries: Delivery[] = [{ connectionId, frame: state }]
  if ((result.subscribed || result.unfinished) && announcesJoin(result.subscribers, connectionId)) {
    const joined: ServerFrame = { type: 'userSubscribed', roomName, userName: result.userName }
    for (const other of result.subscribers) {
      if (other.connectionId !== connectionId)
        deliveries.push({ connectionId: other.connectionId, frame: joined })
    }
  }
  return deliveries
}

/**
 * Who hears of a connection's departures. A small room left on its own: its remaining
 * subscribers get `userUnsubscribed` unless the name is still in the room through another
 * connection. A big room's burst (`burst`): its holder tells the remaining subscribers every name
 * of the burst that is not still in the room, in as few frames as fit; the other leavers tell
 * nobody. A large room, or one that could not be read after the delete, tells nobody here.
 * `announceOwn: false` leaves out the rooms this connection left on its own (a 410 cleanup).
 */
export function departureDeliveries(
  removed: readonly RemovedSubscription[],
  { announceOwn = true } = {},
): Delivery[] {
  const deliveries: Delivery[] = []
  for (const room of removed) {
    if (room.layout !== 'small') continue
    const { roomName, userName, subscribers, burst } = room
    if (burst?.holder === false || (!burst && !announceOwn)) continue
    // A name stays in the room while another connection of it does.
    const present = new Set(subscribers.map((s) => s.userName))
    const left = (burst ? burst.userNames : [userName]).filter((name) => !present.has(name))
    for (const frame of departureFrames(roomName, left)) {
      for (const { connectionId } of subscribers) deliveries.push({ connectionId, frame })
    }
  }
  return deliveries
}
