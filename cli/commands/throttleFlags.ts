import { CliError } from '../errors.js'
import {
  AWS_ACCOUNT_THROTTLE,
  TEMPLATE_STAGE_THROTTLE,
  type Throttle,
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
 * The gateway's request limits from the flags, AWS's numbers where unset: a rate is a positive
 * number of requests/s or `off` (no limit), a burst a whole number ≥ 1. A rate of 0 is refused
 * rather than read as "off": on AWS a route throttled to 0 refuses every request.
 */
export function throttleSettings(args: ThrottleArgs): {
  accountThrottle: ThrottleSetting
  stageThrottle: ThrottleSetting
} {
  const read = (name: 'account' | 'stage', fallback: Throttle): ThrottleSetting => {
    const rateFlag = `--${name}-rate`
    const burstFlag = `--${name}-burst`
    const rawRate = args[`${name}-rate`]
    const rawBurst = args[`${name}-burst`]
    if (rawRate !== undefined && String(rawRate).trim().toLowerCase() === 'off') {
      if (rawBurst !== undefined) {
        throw new CliError(
          'cli.usage',
          `${burstFlag} has no effect with ${rateFlag} off`,
          `drop ${burstFlag}`,
        )
      }
      return 'off'
    }
    const rate = rawRate === undefined ? fallback.rate : Number(String(rawRate).trim() || Number.NaN)
    if (!Number.isFinite(rate) || rate <= 0) {
      throw new CliError(
        'cli.usage',
        `${rateFlag} must be a positive number of requests per second, or off, got ${JSON.stringify(String(rawRate))}`,
        `e.g. ${rateFlag} ${fallback.rate}, or ${rateFlag} off`,
      )
    }
    const burst = rawBurst === undefined ? fallback.burst : Number(String(rawBurst).trim() || Number.NaN)
    if (!Number.isInteger(burst) || burst < 1) {
      throw new CliError(
        'cli.usage',
        `${burstFlag} must be a whole number ≥ 1, got ${JSON.stringify(String(rawBurst))}`,
        `e.g. ${burstFlag} ${fallback.burst}`,
      )
    }
    return { rate, burst }
  }
  return {
    accountThrottle: read('account', AWS_ACCOUNT_THROTTLE),
    stageThrottle: read('stage', TEMPLATE_STAGE_THROTTLE),
  }
}

/** How the ready line and `--json` show a limit. */
export const describeThrottle = (setting: ThrottleSetting): string =>
  setting === 'off' ? 'off' : `${setting.rate}/s, burst ${setting.burst}`
