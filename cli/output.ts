import { createRequire } from 'node:module'
import { createInterface } from 'node:readline/promises'
import type { SingleBar } from 'cli-progress'
import type Table from 'cli-table3'
import { CliError, type ErrorReport, formatError } from './errors.js'
import { escapeText, fitTable, tableWidth } from './safeText.js'
import { type Streams, terminal } from './terminal.js'

export interface Progress {
  /** Moves the bar to `done`; `total` replaces an estimated total. */
  update(done: number, total?: number): void
  stop(): void
}

/**
 * Thrown by `raw` once whoever reads stdout has gone (`chatdb export | head -1`): the command
 * stops writing and ends quietly, as `cat` does, rather than failing.
 */
export class StdoutClosed extends Error {
  override name = 'StdoutClosed'
}

// Both are CommonJS and only needed for people (tables) or terminals (bars): required on first
// use, so `--json` runs in scripts do not load them.
const require = createRequire(import.meta.url)
const loadTable = () => require('cli-table3') as typeof Table
const loadBar = () => (require('cli-progress') as { SingleBar: typeof SingleBar }).SingleBar

/**
 * All terminal I/O of the CLI. With `json`, stdout carries exactly one JSON document per command
 * (or JSON lines, for `export` to stdout) and everything meant for people goes to stderr.
 *
 * @example
 * const output = createOutput({ json: false })
 * output.result(rooms, (rows) => output.table(['room', 'users'], rows.map((r) => [r.roomName, r.users])))
 */
export function createOutput({ json, streams = terminal() }: { json: boolean; streams?: Streams }) {
  const { stdout, stderr, stdin } = streams
  const write = (stream: NodeJS.WriteStream, text: string) =>
    stream.write(text.endsWith('\n') ? text : `${text}\n`)
  // An EPIPE on stdout arrives as an 'error' event, after the write that met it; without a
  // listener it would crash the process with a stack trace.
  let stdoutFailure: Error | undefined
  let watchingStdout = false
  const watchStdout = () => {
    if (watchingStdout) return
    watchingStdout = true
    stdout.on('error', (error: NodeJS.ErrnoException) => {
      stdoutFailure ??= error.code === 'EPIPE' ? new StdoutClosed('stdout was closed') : error
    })
  }
  return {
    json,
    /** Whether someone can answer a question (stdin and stderr are terminals). */
    interactive: Boolean(stdin.isTTY && stderr.isTTY),

    /** The command's result: JSON for scripts, `render(data)` for people. */
    result<T>(data: T, render: (data: T) => string): void {
      write(stdout, json ? JSON.stringify(data, null, 2) : render(data))
    },

    /**
     * A line for people (stderr under --json, so stdout stays parseable). Each line is escaped
     * (see cli/safeText.ts): gateway log lines and migration notices may carry what clients sent.
     */
    info(text: string): void {
      write(json ? stderr : stdout, text.split('\n').map(escapeText).join('\n'))
    },

    /** A status line that must never mix with stdout (e.g. while stdout carries an export). */
    status(text: string): void {
      write(stderr, text)
    },

    /**
     * Raw text to stdout (the JSONL of `export`); resolves when the stream can take more, and
     * throws `StdoutClosed` once the reader has gone.
     */
    async raw(text: string): Promise<void> {
      watchStdout()
      if (stdoutFailure) throw stdoutFailure
      if (stdout.write(text)) return
      await new Promise<void>((resolve, reject) => {
        const settle = () => {
          stdout.off('drain', settle)
          stdout.off('error', settle)
          if (stdoutFailure) reject(stdoutFailure)
          else resolve()
        }
        stdout.once('drain', settle)
        stdout.once('error', settle)
      })
    },

    error(report: ErrorReport): void {
      if (json)
        write(
          stdout,
          JSON.stringify({ error: { code: report.code, message: report.message, hint: report.hint } }),
        )
      // The message may echo user input (a name, a line of a file): escaped like any human output.
      write(
        stderr,
        formatError({
          ...report,
          message: escapeText(report.message),
          hint: report.hint && escapeText(report.hint),
        }),
      )
    },

    /**
     * A table for people: cells escaped (a `\r` in a message cannot forge a row) and the widest
     * columns cut with `…` to the terminal's width (see cli/safeText.ts); `--json` has the full text.
     */
    table(head: string[], rows: (string | number | boolean | undefined)[][]): string {
      const fitted = fitTable(
        head,
        rows.map((row) => row.map((cell) => (cell === undefined ? '' : String(cell)))),
        tableWidth(stdout),
      )
      const table = new (loadTable())({
        head: fitted.head,
        style: { head: stdout.isTTY ? ['cyan'] : [], border: stdout.isTTY ? ['grey'] : [] },
      })
      for (const row of fitted.rows) table.push(row)
      return table.toString()
    },

    /** Asks a yes/no question on the terminal; false without one (callers then demand --yes). */
    async confirm(question: string): Promise<boolean> {
      if (!(stdin.isTTY && stderr.isTTY)) return false
      const prompt = createInterface({ input: stdin, output: stderr })
      try {
        return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim())
      } finally {
        prompt.close()
      }
    },

    /** A progress bar on stderr when it is a terminal; silent otherwise, and with --json. */
    progress(total: number, label: string): Progress {
      if (json || !stderr.isTTY || total === 0) return { update: () => {}, stop: () => {} }
      const bar = new (loadBar())({
        stream: stderr,
        format: `${label} [{bar}] {value}/{total} {percentage}% eta {eta}s`,
        hideCursor: true,
        clearOnComplete: true,
      })
      bar.start(total, 0)
      return {
        update: (done, newTotal) => {
          if (newTotal !== undefined) bar.setTotal(newTotal)
          bar.update(done)
        },
        stop: () => bar.stop(),
      }
    },
  }
}

export type Output = ReturnType<typeof createOutput>

export { escapeText } from './safeText.js'

/** Epoch milliseconds as an ISO-8601 UTC string, for tables. */
export const isoTime = (epochMs: number | undefined): string =>
  epochMs === undefined ? '' : new Date(epochMs).toISOString()

/**
 * Goes ahead when `--yes` was given or the person at the terminal agrees; otherwise throws
 * `cli.confirmationRequired` (a script without --yes never deletes anything).
 */
export async function confirmOrRefuse(
  output: Output,
  { yes, question, refusal }: { yes: boolean; question: string; refusal: string },
) {
  if (yes) return
  if (output.interactive) {
    if (await output.confirm(question)) return
    throw new CliError('cli.confirmationRequired', `${refusal}: not confirmed`)
  }
  throw new CliError(
    'cli.confirmationRequired',
    `${refusal} without confirmation`,
    'pass --yes (stdin is not a terminal, so nobody can be asked)',
  )
}
