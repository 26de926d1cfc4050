import { Bench } from 'tinybench'

export interface CompareOptions {
  /** Alternating rounds; each round runs every variant once, in rotating order. */
  rounds?: number
  /** Time budget per variant per round (ms). */
  time?: number
  /** Warm-up iterations per variant before the first round. */
  warmup?: number
}

export interface VariantResult {
  name: string
  /** Median over rounds of each round's p50 latency (ms). */
  p50: number
  /** Median over rounds of each round's p99 latency (ms). */
  p99: number
  /** Median over rounds of operations per second. */
  opsPerSecond: number
  samples: number
}

/** The median of `values` (the mean of the middle two for an even count). */
export const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/**
 * Measures variants side by side in one process against one dynalite: tinybench runs each
 * variant for `time` ms per round, rounds alternate the order, and each figure is the median of
 * the per-round figures, so drift on a noisy machine hits every variant alike.
 */
export type Variant =
  | (() => Promise<unknown>)
  | { fn: () => Promise<unknown>; afterEach?: () => Promise<unknown> }

export async function compare(
  variants: Record<string, Variant>,
  { rounds = 5, time = 400, warmup = 5 }: CompareOptions = {},
): Promise<VariantResult[]> {
  const names = Object.keys(variants)
  const fnOf = (name: string) => {
    const variant = variants[name] as Variant
    return typeof variant === 'function' ? { fn: variant } : variant
  }
  for (const name of names) {
    const { fn, afterEach } = fnOf(name)
    for (let i = 0; i < warmup; i++) {
      await fn()
      await afterEach?.()
    }
  }
  const perRound = new Map<string, { p50: number[]; p99: number[]; ops: number[]; samples: number }>(
    names.map((n) => [n, { p50: [], p99: [], ops: [], samples: 0 }]),
  )
  for (let round = 0; round < rounds; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length] as string)
    for (const name of order) {
      const bench = new Bench({ time, warmup: false, iterations: 3, throws: true })
      const { fn, afterEach } = fnOf(name)
      bench.add(
        name,
        fn,
        afterEach
          ? {
              afterEach: async () => {
                await afterEach()
              },
            }
          : {},
      )
      await bench.run()
      const result = bench.tasks[0]?.result as
        | { latency: { p50?: number; p99?: number; samples: number[] }; throughput: { mean: number } }
        | undefined
      const entry = perRound.get(name)
      if (!result || !entry) throw new Error(`benchmark ${name} produced no result`)
      entry.p50.push(result.latency.p50 ?? Number.NaN)
      entry.p99.push(result.latency.p99 ?? Number.NaN)
      entry.ops.push(result.throughput.mean)
      entry.samples += result.latency.samples.length
    }
  }
  return names.map((name) => {
    const entry = perRound.get(name) as { p50: number[]; p99: number[]; ops: number[]; samples: number }
    return {
      name,
      p50: median(entry.p50),
      p99: median(entry.p99),
      opsPerSecond: median(entry.ops),
      samples: entry.samples,
    }
  })
}

/** Runs `fn` `rounds` times and returns the median of what it returns (e.g. items/s). */
export async function medianOf(rounds: number, fn: (round: number) => Promise<number>): Promise<number> {
  const values: number[] = []
  for (let round = 0; round < rounds; round++) values.push(await fn(round))
  return median(values)
}

export const ratio = (value: number, baseline: number) => value / baseline
export const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a')
