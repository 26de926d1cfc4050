import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Argv } from 'yargs'
import { DEFAULT_TABLE_NAME } from '../src/table.js'
import { checkHttpUrl } from './checks.js'
import { commands } from './commands/index.js'
import type { GlobalOptions } from './context.js'
import { CliError, CommandFailure, EXIT, errorReport } from './errors.js'
import { createOutput } from './output.js'
import { type Streams, terminal, useTerminal } from './terminal.js'

// yargs' ESM entry lays help out with cliui's ESM build, which wraps by character count and cuts
// words in half ("a com|mand"); its CommonJS entry uses wrap-ansi, which wraps between words.
const yargs = createRequire(import.meta.url)('yargs') as typeof import('yargs').default

/** DynamoDB's rule for table names. */
const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/

const version = (): string => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
  return pkg.version
}

/**
 * The `chatdb` command line: global options (with their environment defaults), every command
 * module, strict parsing. Parsing never exits the process; `run` turns the outcome into a code.
 */
export function configure(argv: string[]): Argv<GlobalOptions> {
  let cli = yargs(argv)
    .scriptName('chatdb')
    .usage('$0 <command> [options]\n\nOperate a chatdb DynamoDB table and run the chat locally.')
    .option('table', {
      type: 'string',
      default: process.env.CHATDB_TABLE || DEFAULT_TABLE_NAME,
      defaultDescription: `$CHATDB_TABLE or "${DEFAULT_TABLE_NAME}"`,
      describe: 'Table name',
      global: true,
    })
    .option('endpoint', {
      type: 'string',
      describe: 'DynamoDB endpoint URL (default: AWS_ENDPOINT_URL_DYNAMODB, else AWS)',
      global: true,
    })
    .option('region', {
      type: 'string',
      describe: 'AWS region (default: the SDK chain, e.g. AWS_REGION)',
      global: true,
    })
    .option('profile', { type: 'string', describe: 'AWS profile for credentials and region', global: true })
    .option('local', {
      type: 'string',
      describe:
        'Use an embedded dynalite persisted in this directory (default .chatdb); write --local=dir before a command argument',
      global: true,
    })
    .option('json', {
      type: 'boolean',
      default: false,
      describe: 'Machine-readable JSON on stdout',
      global: true,
    })
    .option('debug', {
      type: 'boolean',
      default: false,
      describe: 'Print stack traces of errors',
      global: true,
    })
    .option('yes', {
      alias: 'y',
      type: 'boolean',
      default: false,
      describe: 'Do destructive operations without asking',
      global: true,
    })
    .conflicts('local', 'endpoint')
    .check((parsed) => checkGlobalOptions(parsed as unknown as GlobalOptions & Record<string, unknown>, argv))
    .group(
      ['table', 'endpoint', 'region', 'profile', 'local', 'json', 'debug', 'yes', 'help', 'version'],
      'Global options:',
    )
  for (const command of commands) cli = cli.command(command as never)
  // The command words yargs has matched so far (`inspect room`), for hints that name the command:
  // read in a middleware (a handler's errors arrive after yargs has forgotten them) and on failure.
  const matched = () => commandPath(cli)
  cli = cli.middleware(() => {
    command = matched()
  })
  return cli
    .demandCommand(1, 'Name a command.')
    .recommendCommands()
    .strict()
    .help()
    .alias('help', 'h')
    .version(version())
    .wrap(Math.min(120, terminal().stdout.columns || 120))
    .exitProcess(false)
    .fail((message, error) => {
      // A failure of parsing happens while yargs is still in its command; a handler's comes later,
      // once the middleware has recorded the command.
      command ||= matched()
      // Errors thrown by handlers (and checks) come through here too: let them reach `run` unchanged.
      if (error && error.name !== 'YError') throw error
      // yargs words some errors over several lines ("Invalid values:\n  Argument: ..."): make it one.
      const text = (message ?? error?.message ?? 'invalid arguments').replace(/:?\s*\n\s*/g, ': ')
      // getOptions is untyped: the option names yargs knows as booleans (flags that take no value).
      const { boolean } = (cli as unknown as { getOptions(): { boolean: string[] } }).getOptions()
      const words = positionals(argv, boolean)
      throw new CliError('cli.usage', usageMessage(text, words))
    }) as unknown as Argv<GlobalOptions>
}

/** The command `configure` last matched (`inspect room`; '' before any), for the hints. */
let command = ''

/** The words of the command yargs is in (yargs keeps them in its parsing context). */
function commandPath(cli: Argv<GlobalOptions>): string {
  // getInternalMethods is untyped: the context of the command being parsed.
  const internal = cli as unknown as { getInternalMethods(): { getContext(): { commands: string[] } } }
  return internal.getInternalMethods().getContext().commands.join(' ')
}

/** The invocation a hint names: `chatdb inspect room`, or `chatdb` outside any command. */
const invocation = (path: string) => (path ? `chatdb ${path}` : 'chatdb')

/**
 * Runs `chatdb` with `argv` and returns the exit code: 0 success, 1 failure, 2 usage error.
 * Errors print as `code: message` plus a hint; the stack only with --debug. `streams` (default:
 * the process's) are what the command reads and writes: tests run the CLI in process with theirs.
 */
export async function run(argv: string[], streams: Streams = process): Promise<number> {
  command = ''
  useTerminal(streams)
  const cli = configure(argv)
  try {
    // yargs hands its own text (--help, --version) to this callback rather than to console.log.
    await cli.parseAsync(argv, {}, (_error, _parsed, text) => {
      if (text) streams.stdout.write(`${text}\n`)
    })
    // A command that printed its result but must still fail sets the exit code (withContext):
    // taken back here, so the caller (cli/main.ts, or a test running commands in turn) decides.
    const code = process.exitCode
    process.exitCode = undefined
    return typeof code === 'number' ? code : EXIT.ok
  } catch (thrown) {
    const error = thrown instanceof CommandFailure ? thrown.error : thrown
    // Failures outside a command (usage errors) have no parsed options to go by.
    const flag = (name: string) => argv.includes(`--${name}`)
    const scene = {
      ...(thrown instanceof CommandFailure
        ? thrown.scene
        : { tableName: process.env.CHATDB_TABLE || DEFAULT_TABLE_NAME }),
      command: invocation(command),
    }
    const described = errorReport(error, scene)
    // The hint of an internal error is "run again with --debug": not when that is what was done.
    const report =
      flag('debug') && described.code === 'internal' ? { ...described, hint: undefined } : described
    createOutput({ json: flag('json') }).error(report)
    if (flag('debug') && error instanceof Error && error.stack) streams.stderr.write(`${error.stack}\n`)
    return report.exitCode
  }
}

/** Commands that only group others (`inspect <what>`, `cleanup <what>`). */
const GROUPS = new Set(
  commands.filter((c) => String(c.command).endsWith(' <what>')).map((c) => String(c.command).split(' ')[0]),
)

/**
 * Words yargs' messages about unknown commands and arguments the way a person reads them: which
 * word was not understood, at which level, each unknown option once (yargs lists `bogus-flag`
 * and its camel-case alias `bogusFlag`).
 */
export function usageMessage(text: string, words: string[]): string {
  const [command, target] = words
  const group = command !== undefined && GROUPS.has(command)
  // recommendCommands says just "Did you mean x?"; demandCommand of a group just lists the targets.
  if (group && target !== undefined && (text.startsWith('Did you mean') || text.startsWith('Name what to')))
    return `unknown ${command} target "${target}". ${text}`
  if (text.startsWith('Did you mean')) return `unknown command "${command}". ${text}`
  const unknown = /^Unknown arguments?: (.+)$/.exec(text)
  if (unknown?.[1]) {
    const names = unknown[1].split(', ')
    const once = names.filter((name) => !(/[A-Z]/.test(name) && names.includes(kebab(name))))
    return `Unknown argument${once.length > 1 ? 's' : ''}: ${once.join(', ')}`
  }
  return text
}

/** The words of `argv` that are neither options nor option values: the command path first. */
export function positionals(argv: string[], booleans: string[]): string[] {
  const words: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string
    if (token === '--') break
    if (!token.startsWith('-')) words.push(token)
    else if (!token.includes('=') && !booleans.includes(token.replace(/^-+(no-)?/, ''))) i++
  }
  return words
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)

/** The raw text given for option `name` (`--name v` or `--name=v`), for messages. */
function given(argv: string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string
    if (token === `--${name}`) return argv[i + 1]
    if (token.startsWith(`--${name}=`)) return token.slice(name.length + 3)
  }
  return undefined
}

/**
 * Checks of the parsed options that yargs' types cannot express, as usage errors (exit 2) naming
 * what was given: a number option that is not a number (yargs makes it NaN), a table name
 * DynamoDB would refuse, an endpoint that is not an http(s) URL.
 */
function checkGlobalOptions(parsed: GlobalOptions & Record<string, unknown>, argv: string[]): true {
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value !== 'number' || !Number.isNaN(value) || /[A-Z]/.test(key)) continue
    throw new CliError('cli.usage', `--${key} must be a number, got "${given(argv, key) ?? ''}"`)
  }
  if (!TABLE_NAME.test(parsed.table)) {
    throw new CliError(
      'cli.usage',
      `invalid table name "${parsed.table}": DynamoDB wants 3 to 255 of a-z A-Z 0-9 _ . -`,
      'pass another with --table (or CHATDB_TABLE)',
    )
  }
  checkHttpUrl(
    '--endpoint',
    parsed.endpoint,
    '--endpoint http://127.0.0.1:8000, or --local for an embedded dynalite',
  )
  return true
}
