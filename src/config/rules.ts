// zod/mini, not zod: the fan-out worker carries no other zod, and the full API would add ~250 KB
// to its bundle where this adds ~20 KB (the router shares zod's core with src/protocol/actions.ts).
import * as z from 'zod/mini'

/**
 * What one setting accepts: a zod schema for the value the library takes, how text (a variable,
 * a flag) becomes that value, and the one phrase every error message uses for it.
 */
export interface Rule<T> {
  /** Completes "X must be …": `a whole number 1–1024`, `a positive number`, `an http(s) URL`. */
  readonly describe: string
  readonly schema: z.ZodMiniType<T>
  /** The value a text spells, or the text itself when it spells none (the schema then refuses it). */
  readonly fromText: (text: string) => unknown
}

/**
 * How a setting that may be turned off (the value `Infinity`) spells it, in any case: `off`, or
 * also `Infinity` where the variable took JavaScript's spelling before `off` existed.
 */
export type Off = 'off' | 'off or Infinity'
const OFF_WORDS: Record<Off, RegExp> = { off: /^off$/i, 'off or Infinity': /^(off|infinity)$/i }

const bounds = (min: number, max: number | undefined) => (max === undefined ? ` ≥ ${min}` : ` ${min}–${max}`)

/**
 * A whole number from `min` (to `max`); with `off`, also `Infinity` (spelt as `off` says),
 * meaning "never". Text must be digits: `1e3` or `0x40` are not counts anyone means.
 *
 * @example
 * whole({ min: 1, max: 1_024 }).describe // 'a whole number 1–1024'
 */
export function whole({ min, max, off }: { min: number; max?: number; off?: Off }): Rule<number> {
  const count =
    max === undefined
      ? z.number().check(z.int(), z.minimum(min))
      : z.number().check(z.int(), z.minimum(min), z.maximum(max))
  return {
    describe: `a whole number${bounds(min, max)}${off ? ', or off' : ''}`,
    schema: off ? z.union([count, z.literal(Number.POSITIVE_INFINITY)]) : count,
    fromText: (text) => {
      const trimmed = text.trim()
      if (off && OFF_WORDS[off].test(trimmed)) return Number.POSITIVE_INFINITY
      return /^\d+$/.test(trimmed) ? Number(trimmed) : text
    },
  }
}

/**
 * A finite number above 0 (`min: 'positive'`) or from `min`; with `off`, also `Infinity`. Text is read
 * as JavaScript's `Number` reads it; blank text is no number.
 *
 * @example
 * decimal({ min: 'positive' }).describe // 'a positive number'
 */
export function decimal({ min, off }: { min: 'positive' | number; off?: Off }): Rule<number> {
  const finite = z.number().check(min === 'positive' ? z.positive() : z.minimum(min))
  return {
    describe: `${min === 'positive' ? 'a positive number' : `a number ≥ ${min}`}${off ? ', or off' : ''}`,
    schema: off ? z.union([finite, z.literal(Number.POSITIVE_INFINITY)]) : finite,
    fromText: (text) => {
      const trimmed = text.trim()
      if (off && OFF_WORDS[off].test(trimmed)) return Number.POSITIVE_INFINITY
      // Infinity only as `off` spells it: `--stage-rate Infinity` is not a rate.
      const value = trimmed === '' ? Number.NaN : Number(trimmed)
      return Number.isFinite(value) ? value : text
    },
  }
}

/** An http(s) URL, kept as written. */
export function httpUrl(): Rule<string> {
  return {
    describe: 'an http(s) URL',
    schema: z.string().check(
      z.refine((text) => {
        try {
          return ['http:', 'https:'].includes(new URL(text).protocol)
        } catch {
          return false
        }
      }),
    ),
    fromText: (text) => text,
  }
}

/** Any non-empty text (a table name; DynamoDB checks its own rules). */
export function text(): Rule<string> {
  return {
    describe: 'a non-empty text',
    schema: z.string().check(z.minLength(1)),
    fromText: (value) => value,
  }
}
