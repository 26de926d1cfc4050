import { afterEach, describe, expect, it, vi } from 'vitest'
import { isChatDbError } from '../../../src/errors.js'
import { resendUnprocessed } from '../../../src/repository/batchWrite.js'
import { timersOf } from '../../support/recordedTimers.js'

/** A `send` that leaves the requests of `stuck` unprocessed their first `stuck[r]` times. */
function scriptedSend(stuck: Record<string, number>) {
  const sent: string[][] = []
  const send = async (pending: string[]) => {
    sent.push(pending)
    return pending.filter((r) => {
      stuck[r] = (stuck[r] ?? 0) - 1
      return stuck[r] >= 0
    })
  }
  return { send, sent }
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('batchWrite', () => {
  describe('resendUnprocessed', () => {
    it('resends what came back unprocessed, waiting 25 ms doubled with full jitter by default', async () => {
      vi.spyOn(Math, 'random').mockReturnValue(0.5)
      const { send, sent } = scriptedSend({ b: 1, c: 2 })
      const attempts: [string[], string[]][] = []
      const { waits } = await timersOf(() =>
        resendUnprocessed(['a', 'b', 'c'], send, {}, 'batch writes', (s, u) =>
          attempts.push([[...s], [...u]]),
        ),
      )
      expect(sent).toStrictEqual([['a', 'b', 'c'], ['b', 'c'], ['c']])
      expect(attempts).toStrictEqual([
        [
          ['a', 'b', 'c'],
          ['b', 'c'],
        ],
        [['b', 'c'], ['c']],
        [['c'], []],
      ])
      expect(waits).toStrictEqual([12.5, 25])
    })

    it('caps the wait at 2 s and gives up after 10 attempts with store.unprocessedItems', async () => {
      vi.spyOn(Math, 'random').mockReturnValue(0.5)
      const { send, sent } = scriptedSend({ b: 99 })
      const { result: error, waits } = await timersOf(() =>
        resendUnprocessed(['a', 'b'], send, {}, 'batch writes').catch((e: unknown) => e),
      )
      expect(isChatDbError(error, 'store.unprocessedItems')).toBe(true)
      expect((error as Error).message).toBe('1 of 2 batch writes still unprocessed after 10 attempts')
      expect(sent).toHaveLength(10)
      expect(waits).toStrictEqual([12.5, 25, 50, 100, 200, 400, 800, 1_000, 1_000])
    })

    it('takes maxAttempts, baseDelayMs and maxDelayMs', async () => {
      vi.spyOn(Math, 'random').mockReturnValue(0.5)
      const { send, sent } = scriptedSend({ a: 99 })
      const { result: error, waits } = await timersOf(() =>
        resendUnprocessed(['a'], send, { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 300 }, 'keys').catch(
          (e: unknown) => e,
        ),
      )
      expect((error as Error).message).toBe('1 of 1 keys still unprocessed after 4 attempts')
      expect(sent).toHaveLength(4)
      expect(waits).toStrictEqual([50, 100, 150])
    })
  })
})
