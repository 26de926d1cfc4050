import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createRandom, generateDataset } from '../../../src/admin/generateDataset.js'
import { checkSeedDataset } from '../../../src/admin/seedDataset.js'

describe('src/admin/generateDataset', () => {
  describe('generateDataset', () => {
    it('gives the same dataset for the same options and another for another seed', () => {
      const options = { rooms: 4, users: 9, messages: 50, seed: 7 }
      expect(generateDataset(options)).toEqual(generateDataset(options))
      expect(generateDataset({ ...options, seed: 8 })).not.toEqual(generateDataset(options))
    })

    it('makes valid, consistent datasets for any sizes', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 40 }),
          fc.integer({ min: 1, max: 60 }),
          fc.integer({ min: 0, max: 120 }),
          fc.integer({ min: 0, max: 2 ** 32 - 1 }),
          (rooms, users, messages, seed) => {
            const dataset = generateDataset({ rooms, users, messages, seed })
            // checkSeedDataset throws on unknown users, rooms, duplicate ids and invalid names.
            const checked = checkSeedDataset(dataset)
            expect(checked.rooms).toHaveLength(rooms)
            expect(new Set(checked.rooms.map((r) => r.roomName)).size).toBe(rooms)
            expect(new Set(checked.users.map((u) => u.userName)).size).toBe(users)
            expect(checked.messages).toHaveLength(messages)
            for (const room of checked.rooms) expect(room.subscribers.length).toBeGreaterThan(0)
            const times = checked.messages.map((m) => m.time)
            expect([...times].sort((a, b) => a - b)).toEqual(times)
          },
        ),
        { numRuns: 40 },
      )
    })

    it('rejects sizes out of range', () => {
      expect(() => generateDataset({ rooms: 0, users: 1, messages: 1, seed: 1 })).toThrow(/--rooms/)
      expect(() => generateDataset({ rooms: 1, users: 1.5, messages: 1, seed: 1 })).toThrow(/--users/)
      expect(() => generateDataset({ rooms: 1, users: 1, messages: -1, seed: 1 })).toThrow(/--messages/)
    })

    it('draws from a deterministic PRNG in [0, 1)', () => {
      const a = createRandom(42)
      const b = createRandom(42)
      const draws = Array.from({ length: 1000 }, () => a())
      expect(draws).toEqual(Array.from({ length: 1000 }, () => b()))
      expect(draws.every((x) => x >= 0 && x < 1)).toBe(true)
      expect(new Set(draws).size).toBeGreaterThan(990)
    })
  })
})
