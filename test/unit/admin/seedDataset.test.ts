import { describe, expect, it } from 'vitest'
import { checkSeedDataset } from '../../../src/admin/seedDataset.js'
import { isChatDbError } from '../../../src/errors.js'

describe('src/admin/seedDataset', () => {
  describe('checkSeedDataset', () => {
    it('rejects unknown users, unknown rooms, duplicate ids and bad names, naming the place', () => {
      const base = {
        users: [{ userName: 'ada', connectionId: 'c1=' }],
        rooms: [{ roomName: 'general', subscribers: ['ada'] }],
        messages: [{ id: 'm1', roomName: 'general', userName: 'ada', time: 1, message: 'hi' }],
      }
      expect(checkSeedDataset(base).messages).toHaveLength(1)
      const broken: [unknown, RegExp][] = [
        [
          { ...base, rooms: [{ roomName: 'general', subscribers: ['bob'] }] },
          /room "general": unknown user "bob"/,
        ],
        [
          { ...base, messages: [{ ...base.messages[0], roomName: 'other' }] },
          /messages.0: room "other" is not in rooms/,
        ],
        [{ ...base, messages: [base.messages[0], base.messages[0]] }, /messages.1: id "m1" used twice/],
        [{ ...base, rooms: [{ roomName: 'a|b', subscribers: ['ada'] }] }, /must not contain "\|"/],
        [{ ...base, messages: [{ ...base.messages[0], time: 'yesterday' }] }, /messages.0.time/],
        [{ ...base, extra: 1, users: [] }, /users/],
        // Times a message key cannot hold: refused by the check, before anything is written.
        [{ ...base, messages: [{ ...base.messages[0], time: -1 }] }, /messages.0.time: -1 is not a time/],
        [{ ...base, messages: [{ ...base.messages[0], time: 1.5 }] }, /messages.0.time: 1.5 is not a time/],
        [
          { ...base, messages: [{ ...base.messages[0], time: 8.64e15 + 1 }] },
          /messages.0.time: .* is not a time/,
        ],
        [
          { ...base, messages: [{ ...base.messages[0], time: Date.UTC(10000, 0, 1) }] },
          /messages.0.time: 253402300800000 is not a time/,
        ],
        [
          { ...base, messages: [{ ...base.messages[0], time: '1969-12-31T23:59:59.999Z' }] },
          /messages.0.time: "1969-12-31T23:59:59.999Z" is not a time/,
        ],
      ]
      for (const [json, message] of broken) {
        let error: unknown
        try {
          checkSeedDataset(json)
        } catch (caught) {
          error = caught
        }
        expect(isChatDbError(error), String(message)).toBe(true)
        expect((error as Error).message).toMatch(message)
      }
    })
  })
})
