import { describe, expect, it } from 'vitest'
import {
  busiestWindow,
  classOf,
  createScaling,
  type LoadEvent,
  targetBusiestSecond,
} from '../../../bench/partitionModel.js'
import { buildWorkload, TARGET } from '../../../bench/partitionWorkload.js'

const event = (at: number, value: number, rate = 1, size = 1): LoadEvent => ({
  at,
  kind: 'message',
  value,
  rate,
  size,
})

describe('partitionModel', () => {
  describe('busiestWindow', () => {
    it('finds the largest sum inside any one-second window, not only aligned ones', () => {
      expect(busiestWindow([event(0, 1), event(900, 2), event(1_500, 4), event(2_600, 8)])).toBe(8)
      expect(busiestWindow([event(900, 2), event(1_500, 4), event(1_800, 1)])).toBe(7)
      expect(busiestWindow([])).toBe(0)
    })
  })

  describe('targetBusiestSecond', () => {
    it('averages over a window of rate-ratio seconds before scaling, so a chance burst is not multiplied', () => {
      // Two events in one second of a 10-s run that the target sees 10 times as often.
      const events = [event(100, 1, 10), event(200, 1, 10)]
      expect(targetBusiestSecond(events, 10)).toBeCloseTo((2 / 10) * 10)
      // Rate 1: the plain busiest second; size scales the units.
      expect(targetBusiestSecond([event(0, 3, 1, 50), event(500, 1, 1, 50)], 10)).toBe(200)
    })
  })

  describe('classOf', () => {
    it('puts each key in its class', () => {
      expect(classOf({ key: 'Room' }, 'big')).toBe('Room listing partition')
      expect(classOf({ key: 'Room|3' }, 'big')).toBe('Room listing partition')
      expect(classOf({ key: 'Subscription|big' }, 'big')).toBe("hot room's subscription partition")
      expect(classOf({ key: 'Subscription|big|17' }, 'big')).toBe("hot room's shard partitions")
      expect(classOf({ key: 'Subscription|bigger' }, 'big')).toBe("other rooms' subscription partitions")
      expect(classOf({ key: 'Message|small' }, 'big')).toBe("other rooms' message partitions")
      expect(classOf({ index: 'byData', key: 'guest' }, 'big')).toBe('GSI: user name "guest"')
      expect(classOf({ index: 'byData', key: 'new-conn-3' }, 'big')).toBe('GSI: connection id')
    })
  })

  describe('createScaling', () => {
    it('scales churn by the connection ratio, per-key classes by nothing, whole-partition reads by size', () => {
      const run = buildWorkload(500, 10, 2)
      const scaling = createScaling(run)
      expect(run.connections).toBe(TARGET.connections / 500)
      expect(scaling.rate.subscribe).toBe(500)
      expect(scaling.rate.bigMessage).toBe(5)
      expect(scaling.rateFactor('GSI: connection id', 'subscribe')).toBe(1)
      // A listing read of 1 room reads 101 at the target (a page of 100 and one more), not 500;
      // one of a full page reads a full page there too.
      expect(scaling.sizeFactor('Query', 'Room', run.population.bigRoom, 1)).toBe(101)
      expect(scaling.sizeFactor('Query', 'Room', run.population.bigRoom, 101)).toBe(1)
      expect(scaling.sizeFactor('PutItem', 'Room', run.population.bigRoom)).toBe(1)
    })

    it('prices a hot-room read at the target from its items, and stops a capped read at its Limit', () => {
      const run = buildWorkload(500, 10, 2)
      const big = run.population.bigRoom
      // Without item sizes: the items' ratio, for the base partition and each shard alike.
      expect(createScaling(run).sizeFactor('Query', `Subscription|${big}|3`, big, 4)).toBe(500)
      // A sample of at most 103 items reads 103 at the target, not 4 × 500.
      expect(
        createScaling(run).sizeFactor('Query', `Subscription|${big}`, big, 4, { limit: 103 }),
      ).toBeCloseTo(103 / 4)
      // 200-byte items: 4 × 500 items are 400,000 bytes, 98 RCU consistent (1 per 4 KB), where
      // the run's read cost 1 RCU (rounded up from 800 bytes): the factor is 98, not 500.
      const priced = createScaling(run, { subscriptionItemBytes: 200 })
      expect(priced.sizeFactor('Query', `Subscription|${big}|3`, big, 4, { consistent: true, rcu: 1 })).toBe(
        98,
      )
      expect(
        priced.sizeFactor('Query', `Subscription|${big}|3`, big, 4, { consistent: false, rcu: 0.5 }),
      ).toBe(98)
      expect(priced.rate.roomStats).toBe(1)
    })
  })
})
