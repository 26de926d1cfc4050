import type { Environment } from '../../src/config/fromEnvironment.js'
import { CliError } from '../errors.js'
import { fromFlags } from '../flagSettings.js'
import {
  AWS_ACCOUNT_THROTTLE,
  TEMPLATE_STAGE_THROTTLE,
  type ThrottleSetting,
} from '../gateway/requestLimits.js'

/** `--account-rate`, `--account-burst`, `--stage-rate`, `--stage-burst`, shared by `serve` and `dev`. */
export const throttleOptions = {
  // Strings: yargs would turn `off` into NaN; throttleSettings reads them.
  'account-rate': {
    type: 'string',
    defaultDescription: String(AWS_ACCOUNT_THROTTLE.rate),
    describe:
      "Account request budget, requests/s shared by route requests and @connections calls (API Gateway's quota; off: none)",
  },
  'account-burst': {
    type: 'string',
    defaultDescription: String(AWS_ACCOUNT_THROTTLE.burst),
    describe: "Account request budget's burst (token bucket size)",
  },
  'stage-rate': {
    type: 'string',
    defaultDescription: String(TEMPLATE_STAGE_THROTTLE.rate),
    describe:
      "Each route's throttle, requests/s (the template's StageThrottleRate, the stage's default route settings; off: none)",
  },
  'stage-burst': {
    type: 'string',
    defaultDescription: String(TEMPLATE_STAGE_THROTTLE.burst),
    describe: "Each route's burst (the template's StageThrottleBurst)",
  },
} as const

export interface ThrottleArgs {
  'account-rate'?: string
  'account-burst'?: string
  'stage-rate'?: string
  'stage-burst'?: string
}

/**
 * The gateway's request limits from the flags (`fromFlags`), AWS's numbers where unset: a rate is
 * a positive number of requests/s or `off` (no limit), a burst a whole number ≥ 1. A rate of 0 is
 * refused rather than read as "off": on AWS a route throttled to 0 refuses every request.
 */
export function throttleSettings(
  args: ThrottleArgs,
  env: Environment = {},
): { accountThrottle: ThrottleSetting; stageThrottle: ThrottleSetting } {
  const flags = fromFlags(args, env, ['accountRate', 'accountBurst', 'stageRate', 'stageBurst'])
  const read = (name: 'account' | 'stage', rate: number, burst: number): ThrottleSetting => {
    if (rate !== Number.POSITIVE_INFINITY) return { rate, burst }
    if (args[`${name}-burst`] !== undefined) {
      throw new CliError(
        'cli.usage',
        `--${name}-burst has no effect with --${name}-rate off`,
        `drop --${name}-burst`,
      )
    }
    return 'off'
  }
  return {
    accountThrottle: read('account', flags.accountRate, flags.accountBurst),
    stageThrottle: read('stage', flags.stageRate, flags.stageBurst),
  }
}

/** How the ready line and `--json` show a limit. */
export const describeThrottle = (setting: ThrottleSetting): string =>
  setting === 'off' ? 'off' : `${setting.rate}/s, burst ${setting.burst}`
