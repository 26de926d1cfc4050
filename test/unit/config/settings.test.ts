import { describe, expect, it } from 'vitest'
import { type Environment, fromEnvironment } from '../../../src/config/fromEnvironment.js'
import { decimal } from '../../../src/config/rules.js'
import {
  checkOption,
  readSetting,
  SETTINGS,
  type Setting,
  type SettingName,
} from '../../../src/config/settings.js'
import { ChatDbError } from '../../../src/errors.js'

/** The error `fn` throws (a ChatDbError), to assert its code and its one wording. */
function errorOf(fn: () => unknown): ChatDbError {
  try {
    fn()
  } catch (error) {
    if (error instanceof ChatDbError) return error
    throw error
  }
  throw new Error('did not throw')
}

describe('SETTINGS', () => {
  it('names every variable and every flag once', () => {
    const variables = (Object.values(SETTINGS) as Setting<unknown>[]).flatMap((s): string[] =>
      s.env === undefined ? [] : [s.env],
    )
    const flags = (Object.values(SETTINGS) as Setting<unknown>[]).flatMap((s): string[] =>
      s.flag === undefined ? [] : [s.flag],
    )
    expect(new Set(variables).size).toBe(variables.length)
    expect(new Set(flags).size).toBe(flags.length)
    expect(variables.every((name) => /^CHATDB_[A-Z_]+$/.test(name))).toBe(true)
  })

  it('holds the defaults the docs state, each accepted by its own rule', () => {
    expect(SETTINGS.largeRoomThreshold.default).toBe(1_000)
    expect(SETTINGS.largeRoomShards.default).toBe(64)
    expect(SETTINGS.roomListingShards.default).toBe(1)
    expect(SETTINGS.roomListCacheMs.default).toBe(0)
    expect(SETTINGS.userHistoryShards.default).toBe(1)
    expect(SETTINGS.coalesceFrom.default).toBe(100)
    expect(SETTINGS.coalesceWindowMs.default).toBe(250)
    expect(SETTINGS.postConcurrency.default).toBe(128)
    expect(SETTINGS.recentMessagesLimit.default).toBe(50)
    expect(SETTINGS.tableName.default).toBe('chat')
    for (const [name, setting] of Object.entries(SETTINGS)) {
      if ('default' in setting)
        expect(checkOption(name as SettingName, setting.default), name).toBe(setting.default)
    }
  })
})

describe('checkOption', () => {
  it.each([
    ['largeRoomShards', 1, 1_024, 0, 1_025],
    ['roomListingShards', 1, 64, 0, 65],
    ['userHistoryShards', 1, 64, 0, 65],
    ['userHistoryReadShards', 1, 64, 0, 65],
  ] as const)('takes %s from %i to %i and refuses %i and %i', (name, low, high, under, over) => {
    expect(checkOption(name, low)).toBe(low)
    expect(checkOption(name, high)).toBe(high)
    for (const bad of [under, over, 2.5, Number.NaN, '8']) {
      const error = errorOf(() => checkOption(name, bad))
      expect(error.code).toBe('validation.option')
      expect(error.message).toBe(
        `${name} must be a whole number ${low}–${high} (got ${typeof bad === 'string' ? `"${bad}"` : bad})`,
      )
    }
  })

  it('takes Infinity (off) where a setting may be turned off, and only there', () => {
    expect(checkOption('largeRoomThreshold', Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY)
    expect(checkOption('coalesceFrom', Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY)
    expect(checkOption('largeRoomThreshold', 2)).toBe(2)
    expect(errorOf(() => checkOption('largeRoomThreshold', 1)).message).toBe(
      'largeRoomThreshold must be a whole number ≥ 2, or off (got 1)',
    )
    expect(errorOf(() => checkOption('largeRoomShards', Number.POSITIVE_INFINITY)).message).toBe(
      'largeRoomShards must be a whole number 1–1024 (got Infinity)',
    )
    expect(errorOf(() => checkOption('coalesceWindowMs', Number.POSITIVE_INFINITY)).message).toBe(
      'coalesceWindowMs must be a number ≥ 0 (got Infinity)',
    )
  })

  it('keeps each lower bound: 0 where it means none, above 0 where it must be some', () => {
    expect(checkOption('roomListCacheMs', 0)).toBe(0)
    expect(checkOption('coalesceWindowMs', 0)).toBe(0)
    expect(checkOption('coalesceWindowMs', 0.5)).toBe(0.5)
    expect(errorOf(() => checkOption('roomListCacheMs', -1)).message).toBe(
      'roomListCacheMs must be a whole number ≥ 0 (got -1)',
    )
    expect(errorOf(() => checkOption('coalesceLeaseMs', -1)).code).toBe('validation.option')
    expect(checkOption('messageRetentionDays', 0.5)).toBe(0.5)
    expect(errorOf(() => checkOption('messageRetentionDays', 0)).message).toBe(
      'messageRetentionDays must be a positive number (got 0)',
    )
    expect(errorOf(() => checkOption('recentMessagesLimit', 0)).message).toBe(
      'recentMessagesLimit must be a whole number ≥ 1 (got 0)',
    )
  })
})

describe('readSetting', () => {
  it('reads a whole number from digits only, blanks around them allowed', () => {
    expect(readSetting('largeRoomShards', ' 8 ', '--large-room-shards')).toBe(8)
    for (const bad of ['abc', '1e3', '0x40', '-1', '2.5', '', '0', '1025']) {
      expect(errorOf(() => readSetting('largeRoomShards', bad, '--large-room-shards')).message).toBe(
        `--large-room-shards must be a whole number 1–1024 (got ${JSON.stringify(bad)})`,
      )
    }
  })

  it('reads off and Infinity in any case as Infinity, only for a setting that may be off', () => {
    for (const word of ['off', 'OFF', 'Infinity', 'infinity']) {
      expect(readSetting('largeRoomThreshold', word, 'CHATDB_LARGE_ROOM_THRESHOLD')).toBe(
        Number.POSITIVE_INFINITY,
      )
      expect(readSetting('coalesceFrom', word, 'CHATDB_DISCONNECT_COALESCE_FROM')).toBe(
        Number.POSITIVE_INFINITY,
      )
    }
    expect(errorOf(() => readSetting('largeRoomShards', 'off', 'CHATDB_LARGE_ROOM_SHARDS')).message).toBe(
      'CHATDB_LARGE_ROOM_SHARDS must be a whole number 1–1024 (got "off")',
    )
    expect(
      errorOf(() => readSetting('largeRoomThreshold', 'abc', 'CHATDB_LARGE_ROOM_THRESHOLD')).message,
    ).toBe('CHATDB_LARGE_ROOM_THRESHOLD must be a whole number ≥ 2, or off (got "abc")')
  })

  it('reads a positive number with a fraction, never 0, a negative or Infinity', () => {
    expect(readSetting('dynamoDbTimeoutMs', '1500.5', 'CHATDB_DYNAMODB_TIMEOUT_MS')).toBe(1500.5)
    for (const bad of ['0', '-5', 'Infinity', 'soon', ' ']) {
      expect(errorOf(() => readSetting('dynamoDbTimeoutMs', bad, 'CHATDB_DYNAMODB_TIMEOUT_MS')).message).toBe(
        `CHATDB_DYNAMODB_TIMEOUT_MS must be a positive number (got ${JSON.stringify(bad)})`,
      )
    }
  })

  it('reads Infinity only as the off words of the setting spell it', () => {
    const rate = decimal({ min: 'positive', off: 'off' })
    expect(rate.schema.safeParse(rate.fromText('OFF')).data).toBe(Number.POSITIVE_INFINITY)
    expect(rate.schema.safeParse(rate.fromText('Infinity')).success).toBe(false)
    expect(rate.schema.safeParse(rate.fromText('0.5')).data).toBe(0.5)
    expect(errorOf(() => readSetting('coalesceWindowMs', 'off', 'CHATDB_DISCONNECT_WINDOW_MS')).message).toBe(
      'CHATDB_DISCONNECT_WINDOW_MS must be a number ≥ 0 (got "off")',
    )
  })

  it('reads an http(s) URL as written', () => {
    const url = 'https://sqs.eu-west-1.amazonaws.com/123/fanout'
    expect(readSetting('queueUrl', url, 'CHATDB_FANOUT_QUEUE_URL')).toBe(url)
    for (const bad of ['sqs/fanout', 'ftp://example.com/q']) {
      expect(errorOf(() => readSetting('queueUrl', bad, 'CHATDB_FANOUT_QUEUE_URL')).message).toBe(
        `CHATDB_FANOUT_QUEUE_URL must be an http(s) URL (got ${JSON.stringify(bad)})`,
      )
    }
  })
})

describe('fromEnvironment', () => {
  const env: Environment = {
    CHATDB_LARGE_ROOM_THRESHOLD: 'off',
    CHATDB_LARGE_ROOM_SHARDS: '',
    CHATDB_ROOM_LISTING_SHARDS: '8',
    CHATDB_ROOM_LIST_CACHE_MS: 'soon',
  }

  it('returns the named settings whose variables are set and not blank', () => {
    expect(fromEnvironment(env, ['largeRoomThreshold', 'largeRoomShards', 'roomListingShards'])).toEqual({
      largeRoomThreshold: Number.POSITIVE_INFINITY,
      roomListingShards: 8,
    })
    expect(fromEnvironment({ CHATDB_LARGE_ROOM_SHARDS: '   ' }, ['largeRoomShards'])).toEqual({})
  })

  it('reads only the settings named: a bad variable another process reads is not its concern', () => {
    expect(fromEnvironment(env, ['roomListingShards'])).toEqual({ roomListingShards: 8 })
    const error = errorOf(() => fromEnvironment(env, ['roomListingShards', 'roomListCacheMs']))
    expect(error.code).toBe('validation.option')
    expect(error.message).toBe('CHATDB_ROOM_LIST_CACHE_MS must be a whole number ≥ 0 (got "soon")')
  })
})
