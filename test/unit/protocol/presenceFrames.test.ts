import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { departureFrames, frameBytes, MAX_OUTGOING_FRAME_BYTES } from '../../../src/protocol/index.js'

describe('departureFrames', () => {
  it('says nothing for no name and userUnsubscribed for one', () => {
    expect(departureFrames('lobby', [])).toEqual([])
    expect(departureFrames('lobby', ['ada', 'ada'])).toEqual([
      { type: 'userUnsubscribed', roomName: 'lobby', userName: 'ada' },
    ])
  })

  it('puts several names, sorted and distinct, in one usersUnsubscribed', () => {
    expect(departureFrames('lobby', ['cy', 'ada', 'bob', 'ada'])).toEqual([
      { type: 'usersUnsubscribed', roomName: 'lobby', userNames: ['ada', 'bob', 'cy'] },
    ])
  })

  it('splits 10,000 names of 50 characters into frames of at most 128 KB, none lost', () => {
    const names = Array.from({ length: 10_000 }, (_, i) => `${String(i).padStart(5, '0')}`.padEnd(50, 'é'))
    const frames = departureFrames('a'.repeat(100), names)
    expect(frames.length).toBeGreaterThan(1)
    for (const frame of frames) expect(frameBytes(frame)).toBeLessThanOrEqual(MAX_OUTGOING_FRAME_BYTES)
    expect(frames.flatMap((f) => (f.type === 'usersUnsubscribed' ? f.userNames : [f.userName]))).toEqual(
      [...names].sort(),
    )
  })

  it('fills each frame but the last as far as the next name allows (any names, any budget)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 50 }), { minLength: 2, maxLength: 60 }),
        fc.integer({ min: 300, max: 2_000 }),
        (names, maxBytes) => {
          const frames = departureFrames('room', names, maxBytes)
          const sorted = [...names].sort()
          const flat = frames.flatMap((f) => (f.type === 'usersUnsubscribed' ? f.userNames : [f.userName]))
          expect(flat).toEqual(sorted)
          frames.forEach((frame, i) => {
            expect(frameBytes(frame)).toBeLessThanOrEqual(maxBytes)
            const next = frames[i + 1]
            if (frame.type !== 'usersUnsubscribed' || next?.type !== 'usersUnsubscribed') return
            const grown = { ...frame, userNames: [...frame.userNames, next.userNames[0] as string] }
            expect(frameBytes(grown)).toBeGreaterThan(maxBytes)
          })
        },
      ),
    )
  })
})
