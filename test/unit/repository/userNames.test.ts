import { describe, expect, it } from 'vitest'
import { announcesJoin, userNamesOf } from '../../../src/repository/userNames.js'

const sub = (connectionId: string, userName: string, subscribedAt: number) => ({
  connectionId,
  userName,
  subscribedAt,
})

describe('userNames', () => {
  describe('userNamesOf', () => {
    it('gives each name once, sorted', () => {
      expect(userNamesOf([sub('b', 'zoe', 1), sub('a', 'ada', 2), sub('c', 'zoe', 3)])).toEqual([
        'ada',
        'zoe',
      ])
    })
  })

  describe('announcesJoin', () => {
    it('announces a name nobody else holds', () => {
      expect(announcesJoin([sub('a', 'ada', 5), sub('b', 'bob', 1)], 'a')).toBe(true)
    })

    it('leaves the announcement to the connection that subscribed first under the name', () => {
      const room = [sub('x', 'ada', 4), sub('y', 'ada', 7)]
      expect(announcesJoin(room, 'x')).toBe(true)
      expect(announcesJoin(room, 'y')).toBe(false)
    })

    it('breaks a tie in time by connection id, so exactly one of two racers announces', () => {
      const room = [sub('q', 'ada', 5), sub('p', 'ada', 5)]
      expect([announcesJoin(room, 'p'), announcesJoin(room, 'q')]).toEqual([true, false])
    })

    it('announces when its own subscription is not in the snapshot', () => {
      expect(announcesJoin([sub('x', 'ada', 4)], 'z')).toBe(true)
    })
  })
})
