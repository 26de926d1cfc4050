import type { Checkpoints, PhaseCheckpoint } from './types.js'

export interface RunProgress {
  checkpoints: Checkpoints
  /** The phase's checkpoint, created empty on first use. */
  phase(name: string): PhaseCheckpoint
  /** Adds a page's counts to its phase (and so to the run's totals). */
  record(phase: string, scanned: number, changed: number): void
  totals(): { scanned: number; changed: number }
  /**
   * Saves the checkpoints, one save at a time and in call order, so a later save (a superset
   * of progress) never lands before an earlier one. Resolves when this save has landed.
   */
  save(): Promise<void>
}

/**
 * The progress of one migration run: per-phase counts and scan cursors, saved to the ledger
 * after every page (nothing saved under dry run: `persist` is undefined then).
 */
export function createRunProgress({
  initial,
  persist,
}: {
  initial: Checkpoints
  persist:
    | ((snapshot: { checkpoints: Checkpoints; scanned: number; changed: number }) => Promise<void>)
    | undefined
}): RunProgress {
  const checkpoints: Checkpoints = structuredClone(initial)
  let chain: Promise<void> = Promise.resolve()

  const phase = (name: string): PhaseCheckpoint => {
    checkpoints[name] ??= { done: false, scanned: 0, changed: 0 }
    return checkpoints[name]
  }

  const totals = () => {
    let scanned = 0
    let changed = 0
    for (const phase of Object.values(checkpoints)) {
      scanned += phase.scanned
      changed += phase.changed
    }
    return { scanned, changed }
  }

  return {
    checkpoints,
    phase,
    record(name, scanned, changed) {
      const checkpoint = phase(name)
      checkpoint.scanned += scanned
      checkpoint.changed += changed
    },
    totals,
    save() {
      if (!persist) return Promise.resolve()
      // The snapshot is taken now, synchronously: counts and cursors of the same pages.
      const snapshot = { checkpoints: structuredClone(checkpoints), ...totals() }
      const next = chain.then(() => persist(snapshot))
      // A failed save fails its caller; later saves still run (they carry the same data).
      chain = next.catch(() => undefined)
      return next
    },
  }
}
