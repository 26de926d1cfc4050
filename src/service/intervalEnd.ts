/**
 * The end of the interval of `intervalMs` that `at` falls in, counted from the epoch: the same
 * in every process, so processes that each see a change of a room inside one interval agree on
 * the one trailing `roomStats` they schedule (`claimTrailingStats`).
 */
export function intervalEnd(at: number, intervalMs: number): number {
  return (Math.floor(at / intervalMs) + 1) * intervalMs
}
