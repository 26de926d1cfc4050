import * as z from 'zod/mini'
import type { Environment } from '../src/config/fromEnvironment.js'
import { decimal, type Rule, whole } from '../src/config/rules.js'
import {
  checkValue,
  readText,
  SETTINGS,
  type Setting,
  type SettingName,
  setting,
} from '../src/config/settings.js'
import { isChatDbError } from '../src/errors.js'
import { CliError } from './errors.js'
import { AWS_IDLE_TIMEOUT_MS, AWS_MAX_CONNECTION_AGE_MS, parseLimit } from './gateway/connectionLifetime.js'
import { AWS_ACCOUNT_THROTTLE, DEFAULT_MAX_QUEUED_FRAMES, TEMPLATE_STAGE_THROTTLE } from './gateway/limits.js'

/** A limit as `--idle-timeout` spells it (`parseLimit`): whole milliseconds, `Infinity` for `off`. */
function duration(): Rule<number> {
  return {
    describe: 'a positive whole number and a unit ms, s, m or h (e.g. 10m), or off',
    schema: z.union([z.number().check(z.int(), z.positive()), z.literal(Number.POSITIVE_INFINITY)]),
    fromText: (text) => {
      try {
        return parseLimit(text)
      } catch {
        return text
      }
    },
  }
}

/** What API Gateway takes for a throttle: a rate above 0 requests/s, a whole burst (the bucket's size) from 1. */
const RATE = { min: 'positive' } as const
const BURST = whole({ min: 1 })

/** A throttle's flags: `--<name>-rate` (or `off`) and `--<name>-burst`, with `defaults`. */
function throttleFlags(name: 'account' | 'stage', defaults: { rate: number; burst: number }) {
  return {
    rate: setting({
      rule: decimal({ ...RATE, off: 'off' }),
      flag: `${name}-rate`,
      default: defaults.rate,
      unit: 'requests/s',
    }),
    burst: setting({ rule: BURST, flag: `${name}-burst`, default: defaults.burst, unit: 'requests' }),
  }
}
const account = throttleFlags('account', AWS_ACCOUNT_THROTTLE)
const stage = throttleFlags('stage', TEMPLATE_STAGE_THROTTLE)

/**
 * The settings only the CLI has: the local gateway's (API Gateway's limits, which a deployment
 * sets in the template, not in a variable) and `migrate --lease-seconds`. The same shape and
 * wording as {@link SETTINGS}, kept here so the Lambda bundles carry none of them.
 */
export const CLI_SETTINGS = {
  port: setting({ rule: whole({ min: 0, max: 65_535 }), flag: 'port', default: 3001 }),
  maxQueuedFrames: setting({
    rule: whole({ min: 0 }),
    flag: 'max-queued-frames',
    default: DEFAULT_MAX_QUEUED_FRAMES,
    unit: 'frames',
  }),
  // A throttle as the gateway takes it (`checkThrottle`): no flag of its own, the four below.
  throttleRate: setting({ rule: decimal(RATE), unit: 'requests/s' }),
  throttleBurst: setting({ rule: BURST, unit: 'requests' }),
  accountRate: account.rate,
  accountBurst: account.burst,
  stageRate: stage.rate,
  stageBurst: stage.burst,
  idleTimeoutMs: setting({
    rule: duration(),
    flag: 'idle-timeout',
    default: AWS_IDLE_TIMEOUT_MS,
    unit: 'ms',
    example: '10m',
  }),
  maxConnectionAgeMs: setting({
    rule: duration(),
    flag: 'max-connection-age',
    default: AWS_MAX_CONNECTION_AGE_MS,
    unit: 'ms',
  }),
  // Stricter than the library's 30 ms (leaseMs): over a network, a sub-second lease would lapse
  // between renewals.
  leaseSeconds: setting({ rule: decimal({ min: 1 }), flag: 'lease-seconds', default: 60, unit: 's' }),
} as const

const FLAG_SETTINGS = { ...SETTINGS, ...CLI_SETTINGS }
export type FlagSettingName = SettingName | keyof typeof CLI_SETTINGS
type Entry<K extends FlagSettingName> = (typeof FLAG_SETTINGS)[K]
type ValueOf<K extends FlagSettingName> = Entry<K> extends Setting<infer T> ? T : never
/** What {@link fromFlags} gives: a setting's value, undefined only where it has no default. */
export type FlagValues<K extends FlagSettingName> = {
  [P in K]: Entry<P> extends { default: unknown } ? ValueOf<P> : ValueOf<P> | undefined
}

/** How a value reads back as a flag, for the hint: `off` for Infinity. */
const asFlag = (value: unknown) => (value === Number.POSITIVE_INFINITY ? 'off' : String(value))

/**
 * The named settings for `serve`, `dev` and `migrate`: the flag, else the variable the Lambda
 * handlers read (an empty one is unset, as there), else the default — each read by its setting's
 * rule. A bad value is `cli.usage` (exit 2) in the one wording, naming the flag or the variable:
 * `--large-room-shards must be a whole number 1–1024 (got "0")`. A flag given stands in for its
 * variable, which is then not read (a bad one included).
 *
 * @example
 * fromFlags({ 'large-room-threshold': 'off' }, process.env, ['largeRoomThreshold', 'largeRoomShards'])
 * // { largeRoomThreshold: Infinity, largeRoomShards: 64 } (with CHATDB_LARGE_ROOM_SHARDS unset)
 */
export function fromFlags<K extends FlagSettingName>(
  args: object,
  env: Environment,
  names: readonly K[],
): FlagValues<K> {
  const values: Record<string, unknown> = {}
  for (const name of names) {
    const entry = FLAG_SETTINGS[name] as Setting<unknown>
    const flag = entry.flag === undefined ? undefined : `--${entry.flag}`
    const example = entry.example ?? (entry.default === undefined ? undefined : asFlag(entry.default))
    const hint = flag && example !== undefined ? `e.g. ${flag} ${example}` : undefined
    try {
      values[name] = readOne(entry, args as Readonly<Record<string, unknown>>, env) ?? entry.default
    } catch (error) {
      if (!isChatDbError(error, 'validation.option')) throw error
      throw new CliError('cli.usage', error.message, hint, { cause: error })
    }
  }
  return values as FlagValues<K>
}

function readOne(entry: Setting<unknown>, args: Readonly<Record<string, unknown>>, env: Environment) {
  const raw = entry.flag === undefined ? undefined : args[entry.flag]
  // yargs hands a number option over as a number (NaN it refuses itself, configure.ts).
  if (typeof raw === 'number') return checkValue(entry, raw, `--${entry.flag}`)
  if (raw !== undefined) return readText(entry, String(raw), `--${entry.flag}`)
  const variable = entry.env === undefined ? undefined : env[entry.env]
  if (entry.env === undefined || variable === undefined || variable.trim() === '') return undefined
  return readText(entry, variable, entry.env)
}
