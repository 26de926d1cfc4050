import { describe, expect, it } from 'vitest'
import { CliError } from '../../../cli/errors.js'
import { fromFlags } from '../../../cli/flagSettings.js'

/** The usage error `run` throws: its message and hint. */
function usageOf(run: () => unknown): { message: string; hint?: string | undefined } {
  try {
    run()
  } catch (error) {
    if (error instanceof CliError && error.code === 'cli.usage')
      return { message: error.message, hint: error.hint }
    throw error
  }
  throw new Error('accepted')
}

describe('fromFlags', () => {
  it('takes the flag, else the variable the Lambda reads (blank: unset), else the default', () => {
    const names = ['largeRoomShards', 'roomListingShards', 'postConcurrency'] as const
    expect(fromFlags({}, {}, names)).toEqual({
      largeRoomShards: 64,
      roomListingShards: 1,
      postConcurrency: 128,
    })
    const env = { CHATDB_LARGE_ROOM_SHARDS: '8', CHATDB_ROOM_LISTING_SHARDS: ' ' }
    expect(fromFlags({}, env, names)).toMatchObject({ largeRoomShards: 8, roomListingShards: 1 })
    expect(fromFlags({ 'large-room-shards': '16', 'broadcast-concurrency': 4 }, env, names)).toMatchObject({
      largeRoomShards: 16,
      postConcurrency: 4,
    })
  })

  it('leaves a setting without a default undefined when nothing sets it', () => {
    expect(fromFlags({}, {}, ['managementMaxSockets'])).toEqual({ managementMaxSockets: undefined })
  })

  it('refuses a bad flag or variable as cli.usage in the one wording, with the default as the hint', () => {
    expect(usageOf(() => fromFlags({ 'large-room-shards': '0' }, {}, ['largeRoomShards']))).toEqual({
      message: '--large-room-shards must be a whole number 1–1024 (got "0")',
      hint: 'e.g. --large-room-shards 64',
    })
    expect(
      usageOf(() => fromFlags({}, { CHATDB_LARGE_ROOM_THRESHOLD: '1' }, ['largeRoomThreshold'])),
    ).toEqual({
      message: 'CHATDB_LARGE_ROOM_THRESHOLD must be a whole number ≥ 2, or off (got "1")',
      hint: 'e.g. --large-room-threshold 1000',
    })
    expect(usageOf(() => fromFlags({ 'broadcast-concurrency': 2.5 }, {}, ['postConcurrency'])).message).toBe(
      '--broadcast-concurrency must be a whole number ≥ 1 (got 2.5)',
    )
    expect(usageOf(() => fromFlags({ 'idle-timeout': '10' }, {}, ['idleTimeoutMs'])).hint).toBe(
      'e.g. --idle-timeout 10m',
    )
  })

  it("reads migrate's flags by the migrator's rules, and --lease-seconds by the CLI's stricter one", () => {
    const names = ['segments', 'pageSize', 'maxWcu', 'leaseSeconds', 'messageRetentionDays'] as const
    expect(fromFlags({}, {}, names)).toEqual({
      segments: 4,
      pageSize: 500,
      maxWcu: undefined,
      leaseSeconds: 60,
      messageRetentionDays: undefined,
    })
    for (const [flags, message] of [
      [{ segments: 65 }, '--segments must be a whole number 1–64 (got 65)'],
      [{ 'page-size': 0 }, '--page-size must be a whole number ≥ 1 (got 0)'],
      [{ 'max-wcu': -1 }, '--max-wcu must be a positive number (got -1)'],
      [{ 'lease-seconds': 0.5 }, '--lease-seconds must be a number ≥ 1 (got 0.5)'],
      [{ 'retention-days': 0 }, '--retention-days must be a positive number (got 0)'],
    ] as const) {
      expect(usageOf(() => fromFlags(flags, {}, names)).message).toBe(message)
    }
  })

  it('does not read the variable a flag stands in for, a bad one included', () => {
    expect(
      fromFlags({ 'large-room-threshold': 'off' }, { CHATDB_LARGE_ROOM_THRESHOLD: 'abc' }, [
        'largeRoomThreshold',
      ]),
    ).toEqual({ largeRoomThreshold: Number.POSITIVE_INFINITY })
  })
})
