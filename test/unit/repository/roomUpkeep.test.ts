import { describe, expect, it } from 'vitest'
import { transitionFor } from '../../../src/repository/roomUpkeep.js'
import type { RoomState, Subscriber } from '../../../src/repository/types.js'

const guard = (listed: boolean): RoomState => ({ roomName: 'r', createdAt: 1, listed, version: 3 })
const someone: Subscriber = { connectionId: 'c=', userName: 'ada', subscribedAt: 1 }

describe('roomUpkeep', () => {
  describe('transitionFor', () => {
    it('creates a room that has subscribers and no guard', () => {
      expect(transitionFor({ state: undefined, subscribers: [someone] })).toBe('created')
    })

    it('reactivates an unlisted room that has subscribers again', () => {
      expect(transitionFor({ state: guard(false), subscribers: [someone] })).toBe('reactivated')
    })

    it('empties a listed room without subscribers', () => {
      expect(transitionFor({ state: guard(true), subscribers: [] })).toBe('emptied')
    })

    it('owes nothing when the guard agrees with the subscribers', () => {
      expect(transitionFor({ state: guard(true), subscribers: [someone] })).toBeUndefined()
      expect(transitionFor({ state: guard(false), subscribers: [] })).toBeUndefined()
      expect(transitionFor({ state: undefined, subscribers: [] })).toBeUndefined()
    })
  })
})
