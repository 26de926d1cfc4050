import { describe, expect, it } from 'vitest'
import { groupErrors } from '../../../cli/commands/cleanup.js'
import { connectionLimits } from '../../../cli/commands/connectionLimitFlags.js'
import { describeItems } from '../../../cli/commands/deleteTable.js'
import { checkGatewayArgs } from '../../../cli/commands/gatewayFlags.js'
import { gatewaySettings } from '../../../cli/commands/gatewaySettings.js'
import { throttleSettings } from '../../../cli/commands/throttleFlags.js'
import { positionals, usageMessage } from '../../../cli/configure.js'
import { CliError } from '../../../cli/errors.js'

/** The message of the `cli.usage` error `run` throws; what else it did, otherwise. */
function usageError(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    return error instanceof CliError && error.code === 'cli.usage'
      ? error.message
      : `not a usage error: ${error}`
  }
  return 'accepted'
}

describe('usageMessage', () => {
  it('names an unknown target of a command group, and an unknown command', () => {
    expect(usageMessage('Did you mean rooms?', ['inspect', 'bogus'])).toBe(
      'unknown inspect target "bogus". Did you mean rooms?',
    )
    expect(
      usageMessage('Name what to clean up: connection <id>, stale, rooms or messages.', ['cleanup', 'x']),
    ).toBe('unknown cleanup target "x". Name what to clean up: connection <id>, stale, rooms or messages.')
    expect(usageMessage('Did you mean create-table?', ['crate-table'])).toBe(
      'unknown command "crate-table". Did you mean create-table?',
    )
  })

  it('lists each unknown option once, without its camel-case alias', () => {
    expect(usageMessage('Unknown arguments: bogus-flag, bogusFlag', ['inspect', 'rooms'])).toBe(
      'Unknown argument: bogus-flag',
    )
    expect(usageMessage('Unknown arguments: a-b, aB, x', [])).toBe('Unknown arguments: a-b, x')
  })
})

describe('positionals', () => {
  it('skips options and the values of options that take one', () => {
    expect(positionals(['--table', 'chat', 'inspect', '--json', 'bogus', '--local=x'], ['json'])).toEqual([
      'inspect',
      'bogus',
    ])
    expect(positionals(['--no-json', 'inspect', '--', 'x'], ['json'])).toEqual(['inspect'])
  })
})

describe('groupErrors', () => {
  it('prints one line per distinct error, with a count and at most three ids', () => {
    const errors = Array.from({ length: 2057 }, (_, i) => ({
      connectionId: `c${i}`,
      error: 'Error: refused',
    }))
    errors.push({ connectionId: 'z', error: 'ForbiddenException: no' })
    expect(groupErrors(errors)).toEqual([
      '  2057 × Error: refused (c0, c1, c2, … 2054 more)',
      '  1 × ForbiddenException: no (z)',
    ])
  })
})

describe('describeItems', () => {
  it('says how sure the count is', () => {
    expect(describeItems({ count: 55_212, kind: 'exact' })).toBe('55212 items')
    expect(describeItems({ count: 200, kind: 'atLeast' })).toMatch(/^at least 200 items/)
    expect(describeItems({ count: 55_212, kind: 'estimate' })).toMatch(/^~55212 items \(DynamoDB's estimate/)
  })
})

/** The gateway's posting settings as `serve` reads them (gatewaySettings → fromFlags). */
const postingCounts = (args: object, env: Record<string, string>) => {
  const { broadcastConcurrency, managementMaxSockets } = gatewaySettings(args, env)
  return { broadcastConcurrency, managementMaxSockets }
}

/** The gateway's large-room settings as `serve` reads them. */
const largeRoomSettings = (args: object, env: Record<string, string>) => {
  const { largeRoomThreshold, largeRoomShards } = gatewaySettings(args, env)
  return { largeRoomThreshold, largeRoomShards }
}

describe('gatewaySettings: posting counts', () => {
  it("takes the flag, else the Lambda handlers' variable, else 128 posts over 256 sockets", () => {
    expect(postingCounts({}, {})).toEqual({ broadcastConcurrency: 128, managementMaxSockets: 256 })
    const env = { CHATDB_BROADCAST_CONCURRENCY: '32', CHATDB_MANAGEMENT_MAX_SOCKETS: '512' }
    expect(postingCounts({}, env)).toEqual({ broadcastConcurrency: 32, managementMaxSockets: 512 })
    expect(postingCounts({ 'broadcast-concurrency': 8, 'management-max-sockets': 16 }, env)).toEqual({
      broadcastConcurrency: 8,
      managementMaxSockets: 16,
    })
    // An empty variable is unset, as in the Lambda handlers.
    expect(postingCounts({}, { CHATDB_BROADCAST_CONCURRENCY: '' }).broadcastConcurrency).toBe(128)
  })

  it('refuses counts that are not positive whole numbers, naming where they came from', () => {
    expect(usageError(() => postingCounts({ 'broadcast-concurrency': 0 }, {}))).toBe(
      '--broadcast-concurrency must be a whole number ≥ 1 (got 0)',
    )
    expect(usageError(() => postingCounts({}, { CHATDB_MANAGEMENT_MAX_SOCKETS: 'lots' }))).toBe(
      'CHATDB_MANAGEMENT_MAX_SOCKETS must be a whole number ≥ 1 (got "lots")',
    )
    expect(usageError(() => postingCounts({ 'management-max-sockets': 2.5 }, {}))).toContain(
      '--management-max-sockets',
    )
    expect(
      usageError(() => checkGatewayArgs({ port: 0, 'max-queued-frames': 64, 'broadcast-concurrency': -1 })),
    ).toContain('--broadcast-concurrency')
  })
})

describe('gatewaySettings: large rooms', () => {
  it("takes the flag, else the Lambda handlers' variable, else 1,000 subscribers and 64 shards", () => {
    expect(largeRoomSettings({}, {})).toEqual({ largeRoomThreshold: 1_000, largeRoomShards: 64 })
    const env = { CHATDB_LARGE_ROOM_THRESHOLD: '50', CHATDB_LARGE_ROOM_SHARDS: '8' }
    expect(largeRoomSettings({}, env)).toEqual({ largeRoomThreshold: 50, largeRoomShards: 8 })
    expect(largeRoomSettings({ 'large-room-threshold': '2', 'large-room-shards': '1024' }, env)).toEqual({
      largeRoomThreshold: 2,
      largeRoomShards: 1_024,
    })
    // `off` and `Infinity` (any case) turn large rooms off; an empty variable is unset.
    expect(largeRoomSettings({ 'large-room-threshold': 'off' }, {}).largeRoomThreshold).toBe(Infinity)
    expect(largeRoomSettings({}, { CHATDB_LARGE_ROOM_THRESHOLD: 'INFINITY' }).largeRoomThreshold).toBe(
      Infinity,
    )
    expect(largeRoomSettings({}, { CHATDB_LARGE_ROOM_THRESHOLD: '' }).largeRoomThreshold).toBe(1_000)
  })

  it('refuses what the Lambda would refuse, naming where the value came from', () => {
    for (const value of ['abc', '1', '0', '2.5', '-3', '1e3']) {
      expect(
        usageError(() => largeRoomSettings({ 'large-room-threshold': value }, {})),
        value,
      ).toBe(`--large-room-threshold must be a whole number ≥ 2, or off (got ${JSON.stringify(value)})`)
    }
    for (const value of ['0', '1025', 'many', '8.5']) {
      expect(
        usageError(() => largeRoomSettings({ 'large-room-shards': value }, {})),
        value,
      ).toBe(`--large-room-shards must be a whole number 1–1024 (got ${JSON.stringify(value)})`)
    }
    expect(usageError(() => largeRoomSettings({}, { CHATDB_LARGE_ROOM_THRESHOLD: 'abc' }))).toBe(
      'CHATDB_LARGE_ROOM_THRESHOLD must be a whole number ≥ 2, or off (got "abc")',
    )
    expect(usageError(() => largeRoomSettings({ 'large-room-shards': ' ' }, {}))).toBe(
      '--large-room-shards must be a whole number 1–1024 (got " ")',
    )
    // A good flag stands in for a bad variable: the variable is not read.
    expect(
      largeRoomSettings({ 'large-room-threshold': '10' }, { CHATDB_LARGE_ROOM_THRESHOLD: 'abc' }),
    ).toMatchObject({ largeRoomThreshold: 10 })
    expect(
      usageError(() =>
        checkGatewayArgs({ port: 0, 'max-queued-frames': 64, 'large-room-threshold': 'lots' }),
      ),
    ).toContain('--large-room-threshold')
  })
})

describe('throttleSettings', () => {
  it("defaults to AWS's account quota and the template's stage throttle", () => {
    expect(throttleSettings({})).toEqual({
      accountThrottle: { rate: 10_000, burst: 5_000 },
      stageThrottle: { rate: 1_000, burst: 500 },
    })
  })

  it('takes rates (fractions too) and bursts, each flag alone, and off for no limit', () => {
    expect(throttleSettings({ 'account-rate': '20', 'account-burst': '10', 'stage-rate': '0.5' })).toEqual({
      accountThrottle: { rate: 20, burst: 10 },
      stageThrottle: { rate: 0.5, burst: 500 },
    })
    expect(throttleSettings({ 'account-rate': 'off', 'stage-rate': 'OFF' })).toEqual({
      accountThrottle: 'off',
      stageThrottle: 'off',
    })
  })

  it('refuses a rate that is not a positive number, a burst that is not a whole number ≥ 1, and a burst with its rate off', () => {
    for (const value of ['0', '-5', 'lots', '', 'Infinity']) {
      expect(usageError(() => throttleSettings({ 'stage-rate': value }))).toBe(
        `--stage-rate must be a positive number, or off (got ${JSON.stringify(value)})`,
      )
    }
    for (const value of ['0', '2.5', 'off', ' ']) {
      expect(usageError(() => throttleSettings({ 'account-burst': value }))).toBe(
        `--account-burst must be a whole number ≥ 1 (got ${JSON.stringify(value)})`,
      )
    }
    expect(usageError(() => throttleSettings({ 'account-rate': 'off', 'account-burst': '10' }))).toBe(
      '--account-burst has no effect with --account-rate off',
    )
    expect(
      usageError(() => checkGatewayArgs({ port: 0, 'max-queued-frames': 64, 'stage-burst': '-1' })),
    ).toContain('--stage-burst')
  })
})

describe('connectionLimits', () => {
  it("defaults to API Gateway's 10 minutes and 2 hours; takes durations and off", () => {
    expect(connectionLimits({})).toEqual({ idleTimeoutMs: 600_000, maxConnectionAgeMs: 7_200_000 })
    expect(connectionLimits({ 'idle-timeout': '1500ms', 'max-connection-age': 'off' })).toEqual({
      idleTimeoutMs: 1_500,
      maxConnectionAgeMs: Infinity,
    })
  })

  it('refuses anything else as cli.usage naming the flag, also through checkGatewayArgs', () => {
    expect(usageError(() => connectionLimits({ 'idle-timeout': '10' }))).toBe(
      '--idle-timeout must be a positive whole number and a unit ms, s, m or h (e.g. 10m), or off (got "10")',
    )
    expect(
      usageError(() => checkGatewayArgs({ port: 0, 'max-queued-frames': 64, 'max-connection-age': '-2h' })),
    ).toBe(
      '--max-connection-age must be a positive whole number and a unit ms, s, m or h (e.g. 10m), or off (got "-2h")',
    )
  })
})
