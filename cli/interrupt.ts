import { CliError, EXIT } from './errors.js'

/** A SIGINT/SIGTERM trap around work that must stop at a safe point, not in the middle. */
export interface InterruptTrap {
  /** The first signal received, once one was. */
  readonly received: NodeJS.Signals | undefined
  /** At a safe point: throws `cli.interrupted` once a signal was received. */
  check(): void
  /** A pause that a signal cuts short (a test hook slows work down with it). */
  sleep(ms: number): Promise<void>
  /** Gives the signals back to whoever handles them next (or to Node's default: exit at once). */
  release(): void
}

/**
 * Traps SIGINT and SIGTERM while `what` runs. The first signal only asks: the work calls
 * `check()` at its safe points (after a migration page's checkpoint, between fixture batches)
 * and unwinds from there, so its `finally` blocks run — the migration lock is released, dynalite
 * is closed — and the command exits 130. A second signal is the operator insisting: exit 130 at
 * once, leaving what the first would have cleaned up (a migration lock then waits for its lease).
 *
 * @example
 * let trap: InterruptTrap | undefined
 * const migrator = createMigrator({ ...options, hooks: { afterCheckpoint: () => trap?.check() } })
 * trap = trapInterrupts('migrate up', (line) => output.info(line))
 * try { await migrator.up() } finally { trap.release() }
 */
export function trapInterrupts(what: string, say: (line: string) => void): InterruptTrap {
  let received: NodeJS.Signals | undefined
  const sleepers = new Set<() => void>()
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) {
      say(`${signal} again: ${what} exits now`)
      process.exit(EXIT.interrupted)
    }
    received = signal
    for (const wake of sleepers) wake()
    say(`${signal}: ${what} stops at its next safe point (press Ctrl-C again to exit at once)`)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    get received() {
      return received
    },
    check() {
      if (received) throw interrupted(what, received)
    },
    sleep(ms) {
      if (received) return Promise.resolve()
      return new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer)
          sleepers.delete(wake)
          resolve()
        }
        const timer = setTimeout(wake, ms)
        sleepers.add(wake)
      })
    },
    release() {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    },
  }
}

export function interrupted(what: string, signal: NodeJS.Signals, cause?: unknown): CliError {
  return new CliError(
    'cli.interrupted',
    `${what} interrupted by ${signal}`,
    `run it again: it goes on from where it stopped`,
    cause === undefined ? undefined : { cause },
  )
}
