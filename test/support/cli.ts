import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { Readable, Writable } from 'node:stream'
import { expect } from 'vitest'
import { dynamoEndpoint } from './dynamo.js'

/** The built CLI: `npm test` builds before running vitest. */
export const CLI_MAIN = resolve(import.meta.dirname, '../../dist/cli/main.js')

export interface CliRun {
  code: number
  stdout: string
  stderr: string
  /** stdout parsed as one JSON document (throws, failing the test, when it is not). */
  json<T = Record<string, unknown>>(): T
}

export interface CliOptions {
  /** Table (CHATDB_TABLE); the test dynalite's endpoint is set through AWS_ENDPOINT_URL_DYNAMODB. */
  table?: string
  env?: Record<string, string | undefined>
  cwd?: string
  /** Written to the command's stdin, which then ends (default: stdin ends at once). */
  input?: string
}

/** The test's environment plus the dynalite endpoint and table; `undefined` in `env` removes a variable. */
function cliEnv({ table, env = {} }: CliOptions): NodeJS.ProcessEnv {
  const merged: Record<string, string | undefined> = {
    ...process.env,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint(),
    ...(table ? { CHATDB_TABLE: table } : {}),
    ...env,
  }
  // child_process would pass an undefined value on as the string "undefined".
  return Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined))
}

/**
 * Runs `chatdb ...args` to completion in this process: the built CLI's `run` (dist/cli/configure.js,
 * what dist/cli/main.js calls) with streams of its own. stdin is never a terminal, as in CI. The
 * environment (`options.env`, the endpoint, the table) and the working directory are the
 * command's while it runs; runs take turns, so concurrent calls run one after the other (use
 * `runBin` for commands that must overlap, and for the bin itself: exit codes, signals).
 *
 * @example
 * const run = await runCli(['inspect', 'rooms', '--json'], { table })
 * expect(run.code).toBe(0)
 */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliRun> {
  const turn = previousRun.then(() => runInProcess(args, options))
  previousRun = turn.catch(() => {})
  return turn
}

let previousRun: Promise<unknown> = Promise.resolve()

const CLI_CONFIGURE = resolve(import.meta.dirname, '../../dist/cli/configure.js')

async function runInProcess(args: string[], options: CliOptions): Promise<CliRun> {
  const { run } = (await import(CLI_CONFIGURE)) as typeof import('../../cli/configure.js')
  const stdout = capture()
  const stderr = capture()
  const stdin = Readable.from(options.input === undefined ? [] : [options.input]) as NodeJS.ReadStream
  const savedEnv = { ...process.env }
  const savedCwd = process.cwd()
  const env = cliEnv(options)
  for (const name of Object.keys(process.env)) if (!(name in env)) delete process.env[name]
  Object.assign(process.env, env)
  if (options.cwd) process.chdir(options.cwd)
  try {
    const code = await run(args, { stdout: stdout.stream, stderr: stderr.stream, stdin })
    // Writes still buffered in the streams land first.
    await new Promise((resolve) => setImmediate(resolve))
    return {
      code,
      stdout: stdout.text(),
      stderr: stderr.text(),
      json: <T>() => JSON.parse(stdout.text()) as T,
    }
  } finally {
    process.chdir(savedCwd)
    for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name]
    Object.assign(process.env, savedEnv)
  }
}

/** A stream that keeps what is written to it (not a terminal: no isTTY, no columns). */
function capture() {
  const chunks: Buffer[] = []
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, written) {
      chunks.push(Buffer.from(chunk))
      written()
    },
  })
  return {
    stream: stream as unknown as NodeJS.WriteStream,
    text: () => Buffer.concat(chunks).toString('utf8'),
  }
}

/**
 * Runs `node dist/cli/main.js ...args` to completion, as a process of its own. stdin is a pipe,
 * never a terminal, as in CI.
 */
export function runBin(args: string[], options: CliOptions = {}): Promise<CliRun> {
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      [CLI_MAIN, ...args],
      { env: cliEnv(options), cwd: options.cwd, timeout: 30_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
        done({ code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T })
      },
    )
    child.stdin?.end(options.input ?? '')
  })
}

export interface RunningCli {
  child: ChildProcess
  /** The first JSON document the command printed (serve and dev print one when ready). */
  ready: Promise<Record<string, unknown>>
  /** Sends `signal` and resolves with the exit code and everything printed. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; stdout: string; stderr: string }>
}

/** Starts a long-running command (serve, dev) with `--json`. */
export function startCli(args: string[], options: CliOptions = {}): RunningCli {
  const child = spawn(process.execPath, [CLI_MAIN, ...args, '--json'], {
    env: cliEnv(options),
    cwd: options.cwd,
  })
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)))
  const ready = new Promise<Record<string, unknown>>((done, fail) => {
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      try {
        done(JSON.parse(stdout))
      } catch {
        // not a whole document yet
      }
    })
    exited.then((code) => fail(new Error(`exited with ${code} before it was ready: ${stderr}`)))
  })
  return {
    child,
    ready,
    async stop(signal = 'SIGINT') {
      child.kill(signal)
      const code = await exited
      return { code, stdout, stderr }
    },
  }
}

/** A line of a stack trace: printed with --debug only. */
export const STACK_FRAME = /\n\s+at .+:\d+:\d+/

/** A failed run: its exit code, `code: message` then `hint: ...` on stderr, no stack trace. */
export function expectFailure(run: CliRun, code: string, exitCode = 1) {
  expect(run.code, run.stderr).toBe(exitCode)
  expect(run.stderr).toMatch(new RegExp(`^${code.replace('.', '\\.')}: .+\nhint: .+`, 'm'))
  expect(run.stderr).not.toMatch(STACK_FRAME)
}
