import { readFileSync } from 'node:fs'
import yargs, { type Argv } from 'yargs'
import { commands } from './commands/index.js'
import type { GlobalOptions } from './context.js'
import { CliError, CommandFailure, describeError, EXIT } from './errors.js'
import { createOutput } from './output.js'

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
      default: process.env.CHATDB_TABLE || 'chat',
      defaultDescription: '$CHATDB_TABLE or "chat"',
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
    .group(
      ['table', 'endpoint', 'region', 'profile', 'local', 'json', 'debug', 'yes', 'help', 'version'],
      'Global options:',
    )
  for (const command of commands) cli = cli.command(command as never)
  return cli
    .demandCommand(1, 'Name a command.')
    .recommendCommands()
    .strict()
    .help()
    .alias('help', 'h')
    .version(version())
    .wrap(Math.min(120, process.stdout.columns || 120))
    .exitProcess(false)
    .fail((message, error) => {
      // Errors thrown by handlers come through here too: let them reach `run` unchanged.
      if (error && error.name !== 'YError') throw error
      // recommendCommands words an unknown command as just "Did you mean x?": name it too.
      // yargs words some errors over several lines ("Invalid values:\n  Argument: ..."): make it one.
      const text = (message ?? error?.message ?? 'invalid arguments').replace(/:?\s*\n\s*/g, ': ')
      const unknown = text.startsWith('Did you mean')
        ? `unknown command "${argv.find((a) => !a.startsWith('-'))}". `
        : ''
      throw new CliError('cli.usage', `${unknown}${text}`, 'run `chatdb --help` for usage')
    }) as unknown as Argv<GlobalOptions>
}

/**
 * Runs `chatdb` with `argv` and returns the exit code: 0 success, 1 failure, 2 usage error.
 * Errors print as `code: message` plus a hint; the stack only with --debug.
 */
export async function run(argv: string[]): Promise<number> {
  const cli = configure(argv)
  try {
    await cli.parseAsync()
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok
  } catch (thrown) {
    const error = thrown instanceof CommandFailure ? thrown.error : thrown
    // Failures outside a command (usage errors) have no parsed options to go by.
    const flag = (name: string) => argv.includes(`--${name}`)
    const scene =
      thrown instanceof CommandFailure ? thrown.scene : { tableName: process.env.CHATDB_TABLE || 'chat' }
    const report = describeError(error, scene)
    if (report.exitCode === EXIT.usage && !flag('json')) process.stderr.write(`${await cli.getHelp()}\n\n`)
    createOutput({ json: flag('json') }).error(report)
    if (flag('debug') && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`)
    return report.exitCode
  }
}
