import { describe, expect, it } from 'vitest'
import {
  fitFrame,
  fitRoomListFrame,
  fitSubscribedFrame,
  frameBytes,
  MAX_OUTGOING_FRAME_BYTES,
} from '../../../src/protocol/fitFrame.js'
import type {
  ChatMessageFrame,
  NewMessageFrame,
  RoomListFrame,
  SubscribedFrame,
} from '../../../src/protocol/frames.js'

// The fitters against an oracle: every byte budget from "nothing fits" to "everything fits" is
// tried, and the answer must fit and be maximal (one more message, user or room would not fit),
// with exact `truncated` counts. Sizes vary per item, and counts cross 9 → 10 and 99 → 100, so
// the digits reserved for `truncated` and the correction loops are all exercised.

const message = (i: number): ChatMessageFrame => ({
  id: `m${i}`,
  userName: `user${i % 7}`,
  message: 'x'.repeat(i % 13),
  time: 1_000 + i,
})

const subscribed = (users: number, messages: number): SubscribedFrame => ({
  type: 'subscribed',
  roomName: 'lobby',
  users: Array.from({ length: users }, (_, i) => `u${'n'.repeat(i % 5)}${i}`),
  messages: Array.from({ length: messages }, (_, i) => message(i)),
})

function budgets(frame: Parameters<typeof frameBytes>[0], from: number): number[] {
  const all: number[] = []
  for (let bytes = from; bytes <= frameBytes(frame) + 1; bytes++) all.push(bytes)
  return all
}

describe('fitSubscribedFrame', () => {
  it('returns a frame that fits unchanged, the very object', () => {
    const frame = subscribed(3, 4)
    expect(fitSubscribedFrame(frame)).toBe(frame)
    expect(fitSubscribedFrame(frame, frameBytes(frame))).toBe(frame)
    expect(fitFrame(frame)).toBe(frame)
  })

  it('trims to exactly the limit: the oldest messages first, then users from the end', () => {
    const frame = subscribed(2, 3)
    const cut = fitSubscribedFrame(frame, frameBytes(frame) - 1)
    expect(cut).toStrictEqual({
      ...frame,
      messages: frame.messages.slice(1),
      truncated: { messages: 1, users: 0 },
    })
    const noMessages = fitSubscribedFrame(
      frame,
      frameBytes({ ...frame, messages: [], truncated: { messages: 3, users: 0 } }),
    )
    expect(noMessages).toStrictEqual({ ...frame, messages: [], truncated: { messages: 3, users: 0 } })
    const oneUser = fitSubscribedFrame(
      frame,
      frameBytes({ ...frame, users: ['u0'], messages: [], truncated: { messages: 3, users: 1 } }),
    )
    expect(oneUser).toStrictEqual({
      ...frame,
      users: ['u0'],
      messages: [],
      truncated: { messages: 3, users: 1 },
    })
  })

  it('keeps nothing when even the frame without users and messages is over the budget', () => {
    const frame = subscribed(3, 4)
    const least = { ...frame, users: [], messages: [], truncated: { messages: 4, users: 3 } }
    expect(fitSubscribedFrame(frame, frameBytes(least) - 1)).toStrictEqual(least)
    expect(fitSubscribedFrame(frame, 0)).toStrictEqual(least)
  })

  it('counts bytes, not characters', () => {
    const frame: SubscribedFrame = {
      type: 'subscribed',
      roomName: 'lobby',
      users: ['zoë', 'jürgen', '李'],
      messages: [{ ...message(1), message: '😀😀' }, message(2)],
    }
    const oneMessage = { ...frame, messages: frame.messages.slice(1), truncated: { messages: 1, users: 0 } }
    expect(fitSubscribedFrame(frame, frameBytes(oneMessage))).toStrictEqual(oneMessage)
    expect(fitSubscribedFrame(frame, frameBytes(oneMessage) - 1)).toStrictEqual({
      ...frame,
      messages: [],
      truncated: { messages: 2, users: 0 },
    })
    const twoUsers = {
      ...frame,
      users: ['zoë', 'jürgen'],
      messages: [],
      truncated: { messages: 2, users: 1 },
    }
    expect(fitSubscribedFrame(frame, frameBytes(twoUsers))).toStrictEqual(twoUsers)
    expect(fitSubscribedFrame(frame, frameBytes(twoUsers) - 1)).toStrictEqual({
      ...twoUsers,
      users: ['zoë'],
      truncated: { messages: 2, users: 2 },
    })
  })

  for (const [users, messages] of [
    [3, 12],
    [12, 3],
    [2, 105],
    [0, 11],
    [11, 0],
  ] as const) {
    it(`keeps the most that fits at every budget (${users} users, ${messages} messages)`, () => {
      const frame = subscribed(users, messages)
      const least = frameBytes({ ...frame, users: [], messages: [], truncated: { messages, users } })
      for (const maxBytes of budgets(frame, least)) {
        const fitted = fitSubscribedFrame(frame, maxBytes)
        if (frameBytes(frame) <= maxBytes) {
          expect(fitted).toBe(frame)
          continue
        }
        const keptUsers = fitted.users.length
        const keptMessages = fitted.messages.length
        expect(frameBytes(fitted), `${maxBytes}`).toBeLessThanOrEqual(maxBytes)
        expect(fitted, `${maxBytes}`).toStrictEqual({
          ...frame,
          users: frame.users.slice(0, keptUsers),
          messages: frame.messages.slice(messages - keptMessages),
          truncated: { messages: messages - keptMessages, users: users - keptUsers },
        })
        const withOneMore =
          keptUsers < users
            ? {
                ...fitted,
                users: frame.users.slice(0, keptUsers + 1),
                truncated: { messages, users: users - keptUsers - 1 },
              }
            : {
                ...fitted,
                messages: frame.messages.slice(messages - keptMessages - 1),
                truncated: { messages: messages - keptMessages - 1, users: 0 },
              }
        expect(frameBytes(withOneMore), `${maxBytes}: one more would fit`).toBeGreaterThan(maxBytes)
        // Messages only once every user is in.
        if (keptUsers < users) expect(keptMessages).toBe(0)
      }
    })
  }
})

const roomList = (count: number): RoomListFrame => ({
  type: 'roomList',
  rooms: Array.from({ length: count }, (_, i) => ({
    roomName: `room${'r'.repeat(i % 4)}${i}`,
  })) as RoomListFrame['rooms'],
})

describe('fitRoomListFrame', () => {
  it('returns a list that fits unchanged, the very object', () => {
    const frame = roomList(5)
    expect(fitRoomListFrame(frame)).toBe(frame)
    expect(fitRoomListFrame(frame, frameBytes(frame), () => 'c')).toBe(frame)
    expect(fitFrame(frame)).toBe(frame)
    expect(MAX_OUTGOING_FRAME_BYTES).toBe(131_072)
  })

  it('without a cursor keeps the oldest rooms that fit and counts the rest', () => {
    const frame = roomList(105)
    const least = frameBytes({ ...frame, rooms: [], truncated: { rooms: 105 } })
    for (const maxBytes of budgets(frame, least)) {
      const fitted = fitRoomListFrame(frame, maxBytes)
      if (frameBytes(frame) <= maxBytes) {
        expect(fitted).toBe(frame)
        continue
      }
      const kept = fitted.rooms.length
      expect(fitted).toStrictEqual({
        ...frame,
        rooms: frame.rooms.slice(0, kept),
        truncated: { rooms: 105 - kept },
      })
      expect(frameBytes(fitted)).toBeLessThanOrEqual(maxBytes)
      expect(
        frameBytes({ ...frame, rooms: frame.rooms.slice(0, kept + 1), truncated: { rooms: 105 - kept - 1 } }),
        `${maxBytes}: one more would fit`,
      ).toBeGreaterThan(maxBytes)
    }
  })

  it('keeps no room when even an empty list is over the budget', () => {
    const frame = roomList(12)
    const least = { ...frame, rooms: [], truncated: { rooms: 12 } }
    expect(fitRoomListFrame(frame, frameBytes(least) - 1)).toStrictEqual(least)
    const withCursor: RoomListFrame = { type: 'roomList', rooms: [], nextCursor: 'after-0' }
    expect(fitRoomListFrame(frame, frameBytes(withCursor) - 1, (count) => `after-${count}`)).toStrictEqual(
      withCursor,
    )
  })

  it('asks for few cursors: with cursors of one length its estimate is exact', () => {
    // 2,000 rooms of one size each: the estimate with the cursor after every room is the answer,
    // so the fitter asks for that cursor, then checks the estimate and one more, then builds it.
    const frame: RoomListFrame = {
      type: 'roomList',
      rooms: Array.from({ length: 2_000 }, (_, i) => ({
        roomName: `room${String(i).padStart(4, '0')}`,
      })) as RoomListFrame['rooms'],
    }
    const cursor = (count: number) => `after-${String(count).padStart(4, '0')}`
    const asked: number[] = []
    const cursorAfter = (count: number) => {
      asked.push(count)
      return cursor(count)
    }
    const maxBytes = 10_000
    const fitted = fitRoomListFrame(frame, maxBytes, cursorAfter)
    const kept = fitted.rooms.length
    expect(fitted).toStrictEqual({
      ...frame,
      rooms: frame.rooms.slice(0, kept),
      nextCursor: cursor(kept),
    })
    expect(frameBytes(fitted)).toBeLessThanOrEqual(maxBytes)
    expect(frameBytes({ ...fitted, rooms: frame.rooms.slice(0, kept + 1) })).toBeGreaterThan(maxBytes)
    expect(asked).toStrictEqual([2_000, kept, kept + 1, kept])
  })

  // Cursors of varying length, as real ones vary with where they point: none after the last
  // room of the table, or one after every count (a page of a longer list), so the estimate made
  // with the cursor after every room is now too high, now too low. The frame comes with a long
  // cursor and a count of its own, so some budgets fit every room with the new cursor but not it.
  const cursors = {
    'the end of the list': (count: number) =>
      count >= 40 ? undefined : `after-${'x'.repeat(count % 9)}${count}`,
    'a page of a longer list': (count: number) => `after-${'x'.repeat((count * 5) % 17)}${count}`,
  }
  for (const [name, cursorAfter] of Object.entries(cursors)) {
    it(`with a cursor keeps the most rooms that fit with the cursor after the last one (${name})`, () => {
      const frame = { ...roomList(40), nextCursor: 'old'.repeat(20), truncated: { rooms: 9 } }
      const shape = (kept: number): RoomListFrame => {
        const cursor = cursorAfter(kept)
        const rooms = frame.rooms.slice(0, kept)
        return cursor === undefined
          ? { type: 'roomList', rooms }
          : { type: 'roomList', rooms, nextCursor: cursor }
      }
      for (const maxBytes of budgets(frame, frameBytes(shape(0)))) {
        const fitted = fitRoomListFrame(frame, maxBytes, cursorAfter)
        if (frameBytes(frame) <= maxBytes) {
          expect(fitted).toBe(frame)
          continue
        }
        const kept = fitted.rooms.length
        expect(fitted, `${maxBytes}`).toStrictEqual(shape(kept))
        expect(frameBytes(fitted)).toBeLessThanOrEqual(maxBytes)
        if (kept < 40)
          expect(frameBytes(shape(kept + 1)), `${maxBytes}: one more would fit`).toBeGreaterThan(maxBytes)
      }
    })
  }
})

describe('fitFrame', () => {
  it('trims the room state and the room list, and passes other frames through', () => {
    const state = subscribed(2, 50)
    expect(fitFrame(state, 300)).toStrictEqual(fitSubscribedFrame(state, 300))
    expect(fitFrame(state, 300)).not.toBe(state)
    const list = roomList(50)
    expect(fitFrame(list, 200)).toStrictEqual(fitRoomListFrame(list, 200))
    const big: NewMessageFrame = {
      type: 'newMessage',
      roomName: 'lobby',
      message: { ...message(1), message: 'y'.repeat(500) },
    }
    expect(fitFrame(big, 100)).toBe(big)
  })
})
