import { ChatDbError } from '../errors.js'

const UNITS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
}

/**
 * A duration like `30d`, `12h`, `90m`, `45s` or `2w` in milliseconds.
 * Throws `validation.option` for anything else (no unit, zero, negative, fractions).
 *
 * @example
 * parseDuration('30d') // 2_592_000_000
 */
export function parseDuration(text: string): number {
  const match = /^(\d+)([smhdw])$/.exec(text.trim())
  const amount = match ? Number(match[1]) : 0
  const unit = match?.[2]
  if (!unit || !Number.isSafeInteger(amount) || amount <= 0) {
    throw new ChatDbError(
      'validation.option',
      `"${text}" is not a duration: use a positive whole number and a unit s, m, h, d or w (e.g. 30d)`,
    )
  }
  return amount * (UNITS[unit] as number)
}
