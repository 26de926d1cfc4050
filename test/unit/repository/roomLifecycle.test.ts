import { describe, expect, it } from 'vitest'
import { BASE_SUBSCRIPTION_SHARD, subscriptionKey } from '../../../src/keys.js'
import { MARKING_WINDOW_MS } from '../../../src/repository/largeRoomReads.js'
import {
  createRoomLifecycle,
  OWN_COUNT_SLACK,
  ROOM_COUNT_SLACK_PER_PARTITION,
} from '../../../src/repository/roomLifecycle.js'
import type { RoomSnapshot, RoomState, RoomTransition } from '../../../src/repository/types.js'

// The decisions of the state machine's transitions, each on both sides of its boundary. The
// parts they drive (upkeep, counters, reads, writes) are recorded here; what those parts send to
// DynamoDB is tested against both engines in test/integration/repository/largeRooms.test.ts and
// roomUpkeep.test.ts.

const OWN_BASE_WRITE = subscriptionKey('lobby', 'c1')
const TAKE_BACK = `deleteOwnWrite ${OWN_BASE_WRITE.pk} ${OWN_BASE_WRITE.sk} a1`
const STATE: RoomState = { roomName: 'lobby', createdAt: 1, listed: true, version: 3 }

function lifecycleWith(
  answers: {
    settle?: RoomTransition | undefined
    settleLarge?: RoomTransition | undefined
    partitionCount?: number | undefined
    total?: number
    moved?: boolean
  } = {},
) {
  const calls: string[] = []
  const lifecycle = createRoomLifecycle({
    documentClient: undefined as never,
    tableName: 'unused',
    now: () => 0,
    readSnapshot: async () => {
      throw new Error('not read by these transitions')
    },
    layouts: undefined as never,
    largeRoomShards: 4,
    upkeep: {
      settle: async () => {
        calls.push('settle')
        return answers.settle
      },
      settleLarge: async (roomName: string, shards: number) => {
        calls.push(`settleLarge ${roomName} ${shards}`)
        return answers.settleLarge
      },
      apply: async (state: RoomState) => {
        calls.push(`apply v${state.version}`)
        return undefined
      },
    } as never,
    counters: {
      repairCounts: async () => {
        throw new Error('not repaired by these transitions')
      },
      adjustCount: async (roomName: string, shard: number, by: number, options?: { token?: string }) => {
        calls.push(`adjust ${roomName} ${shard} ${by}${options?.token ? ` ${options.token}` : ''}`)
        return answers.partitionCount
      },
    } as never,
    reads: {
      readCounters: async () => {
        throw new Error('not read by these transitions')
      },
      readCounts: async (roomName: string, shards: number) => {
        calls.push(`readCounts ${roomName} ${shards}`)
        return {
          state: STATE,
          counts: [],
          total: answers.total ?? 0,
          lastStats: { at: undefined, count: undefined },
        }
      },
    } as never,
    writes: {
      deleteOwnWrite: async (key: { pk: string; sk: string }, attempt: string) => {
        calls.push(`deleteOwnWrite ${key.pk} ${key.sk} ${attempt}`)
        return answers.moved ?? true
      },
    } as never,
  })
  return { lifecycle, calls }
}

const snapshot = (state: RoomState | undefined, markedAt?: number): RoomSnapshot => ({
  roomName: 'lobby',
  state,
  subscribers: [],
  ...(markedAt === undefined ? {} : { markedAt }),
})

describe('roomLifecycle transitions', () => {
  describe('settleSmall', () => {
    it('re-applies the guard only when nothing changed, a failed request owes it and the guard exists', async () => {
      const owed = lifecycleWith()
      expect(await owed.lifecycle.settleSmall(snapshot(STATE), { owedByFailedRequest: true })).toBeUndefined()
      expect(owed.calls).toStrictEqual(['settle', 'apply v3'])

      const notOwed = lifecycleWith()
      await notOwed.lifecycle.settleSmall(snapshot(STATE), { owedByFailedRequest: false })
      expect(notOwed.calls).toStrictEqual(['settle'])

      const noGuard = lifecycleWith()
      await noGuard.lifecycle.settleSmall(snapshot(undefined), { owedByFailedRequest: true })
      expect(noGuard.calls).toStrictEqual(['settle'])
    })

    it('answers the transition it made and applies nothing more', async () => {
      const { lifecycle, calls } = lifecycleWith({ settle: 'emptied' })
      expect(await lifecycle.settleSmall(snapshot(STATE), { owedByFailedRequest: true })).toBe('emptied')
      expect(calls).toStrictEqual(['settle'])
    })
  })

  describe('moveToShard', () => {
    const own = (subscribedAt: number) => ({ connectionId: 'c1', attempt: 'a1', subscribedAt })

    it('counts a moved subscription out of the base partition when it was written within the marking window', async () => {
      const { lifecycle, calls } = lifecycleWith()
      await lifecycle.moveToShard(snapshot(STATE, 1_000), own(1_000 + MARKING_WINDOW_MS))
      expect(calls).toStrictEqual([TAKE_BACK, `adjust lobby ${BASE_SUBSCRIPTION_SHARD} -1`])
    })

    it('leaves the count alone for a subscription written after the window (nobody counted it)', async () => {
      const { lifecycle, calls } = lifecycleWith()
      await lifecycle.moveToShard(snapshot(STATE, 1_000), own(1_000 + MARKING_WINDOW_MS + 1))
      expect(calls).toStrictEqual([TAKE_BACK])
    })

    it('counts every mover out when the marking time is unknown', async () => {
      const { lifecycle, calls } = lifecycleWith()
      await lifecycle.moveToShard(snapshot(STATE), own(Number.MAX_SAFE_INTEGER))
      expect(calls).toStrictEqual([TAKE_BACK, `adjust lobby ${BASE_SUBSCRIPTION_SHARD} -1`])
    })

    it('counts nothing when its base write was not there to take back', async () => {
      const { lifecycle, calls } = lifecycleWith({ moved: false })
      await lifecycle.moveToShard(snapshot(STATE, 1_000), own(1_000))
      expect(calls).toStrictEqual([TAKE_BACK])
    })
  })

  describe('countDeparture', () => {
    const nearlyEmpty = ROOM_COUNT_SLACK_PER_PARTITION * (4 + 1)

    it('stops after the count while the leaver’s partition counts more than the slack', async () => {
      const { lifecycle, calls } = lifecycleWith({ partitionCount: OWN_COUNT_SLACK + 1 })
      expect(await lifecycle.countDeparture('lobby', 2, 4, 'tok')).toBeUndefined()
      expect(calls).toStrictEqual(['adjust lobby 2 -1 tok'])
    })

    it('reads every counter at the slack, and settles the room when they sum to at most the room’s slack', async () => {
      const { lifecycle, calls } = lifecycleWith({
        partitionCount: OWN_COUNT_SLACK,
        total: nearlyEmpty,
        settleLarge: 'emptied',
      })
      expect(await lifecycle.countDeparture('lobby', 2, 4)).toBe('emptied')
      expect(calls).toStrictEqual(['adjust lobby 2 -1', 'readCounts lobby 4', 'settleLarge lobby 4'])
    })

    it('does not settle a room whose counters sum to one more than the room’s slack', async () => {
      const { lifecycle, calls } = lifecycleWith({ partitionCount: 0, total: nearlyEmpty + 1 })
      expect(await lifecycle.countDeparture('lobby', 2, 4)).toBeUndefined()
      expect(calls).toStrictEqual(['adjust lobby 2 -1', 'readCounts lobby 4'])
    })

    it('reads the counters when its own count is unknown (a resent count found its own)', async () => {
      const { lifecycle, calls } = lifecycleWith({ partitionCount: undefined, total: 0 })
      await lifecycle.countDeparture('lobby', 2, 4)
      expect(calls).toStrictEqual(['adjust lobby 2 -1', 'readCounts lobby 4', 'settleLarge lobby 4'])
    })
  })

  describe('settleLargeIfUnlisted', () => {
    it('settles a joined large room only when its guard is unlisted or missing', async () => {
      const listed = lifecycleWith()
      expect(await listed.lifecycle.settleLargeIfUnlisted('lobby', 4, STATE)).toBeUndefined()
      expect(listed.calls).toStrictEqual([])

      const unlisted = lifecycleWith({ settleLarge: 'reactivated' })
      expect(await unlisted.lifecycle.settleLargeIfUnlisted('lobby', 4, { ...STATE, listed: false })).toBe(
        'reactivated',
      )
      expect(unlisted.calls).toStrictEqual(['settleLarge lobby 4'])

      const missing = lifecycleWith()
      await missing.lifecycle.settleLargeIfUnlisted('lobby', 4, undefined)
      expect(missing.calls).toStrictEqual(['settleLarge lobby 4'])
    })
  })
})
