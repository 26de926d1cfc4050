import { isChatDbError } from '../src/errors.js'
import { isNetworkFailure } from '../src/util/networkFailure.js'
import { localFlag } from './localDir.js'

/** Errors the CLI raises itself (the library's are `ChatDbError`s). */
export type CliErrorCode =
  | 'cli.usage'
  | 'cli.notFound'
  | 'cli.confirmationRequired'
  | 'cli.tableMismatch'
  | 'cli.input'
  | 'cli.local'
  | 'cli.interrupted'
  | 'cli.portInUse'
  | 'cli.listen'
  | 'cli.gatewayRunning'
  | 'cli.connect'

export class CliError extends Error {
  override name = 'CliError'

  constructor(
    readonly code: CliErrorCode,
    message: string,
    readonly hint?: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

/** What the CLI says about a failure: one line, a hint, an exit code. */
export interface ErrorReport {
  code: string
  message: string
  hint?: string | undefined
  exitCode: number
}

/**
 * Exit codes: 0 success, 1 a failed operation, 2 a usage error (bad or missing arguments),
 * 130 stopped by SIGINT/SIGTERM at a safe point (128 + SIGINT, as shells report Ctrl-C).
 */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const

/** Where the failing command was pointed, for the wording of the hints. */
export interface ErrorScene {
  tableName: string
  /** The DynamoDB endpoint in use, when one was set. */
  endpoint?: string | undefined
  /** The embedded dynalite's directory, with --local. */
  localDir?: string | undefined
  /** The command that failed, as typed (`chatdb inspect room`; default `chatdb`). */
  command?: string | undefined
}

/** An error thrown by a command, with where the command was pointed (see `withContext`). */
export class CommandFailure extends Error {
  override name = 'CommandFailure'

  constructor(
    readonly error: unknown,
    readonly scene: ErrorScene,
  ) {
    super(error instanceof Error ? error.message : String(error), { cause: error })
  }
}

/**
 * Turns anything a command throws into what the CLI prints: one line, a hint, an exit code.
 * SDK and network errors are recognised by name and code (never by instance: they come from
 * several packages). Not the logger's `describeError` (src/log/jsonLogger.ts), which turns
 * an error into fields of a JSON log line.
 *
 * @example
 * formatError(errorReport(error, { tableName: 'chat' })) // 'store.tableNotFound: table "chat" does not exist …'
 */
export function errorReport(error: unknown, scene: ErrorScene): ErrorReport {
  const failure = (code: string, message: string, hint?: string): ErrorReport => ({
    code,
    message,
    hint,
    exitCode: EXIT.failure,
  })
  const command = scene.command ?? 'chatdb'
  if (error instanceof CliError) {
    return {
      code: error.code,
      message: error.message,
      hint: error.hint ?? (error.code === 'cli.usage' ? `run \`${command} --help\` for usage` : undefined),
      exitCode:
        error.code === 'cli.usage'
          ? EXIT.usage
          : error.code === 'cli.interrupted'
            ? EXIT.interrupted
            : EXIT.failure,
    }
  }
  const cause = isChatDbError(error) && error.cause instanceof Error ? error.cause : undefined
  const name = (cause ?? (error as Error | undefined))?.name
  const where = scene.localDir
    ? `in the embedded dynalite (${scene.localDir})`
    : scene.endpoint
      ? `at ${scene.endpoint}`
      : 'at the AWS endpoint of the configured region'
  // Says which lines failed and how many items landed: more use than the cause's own category.
  if (isChatDbError(error, 'store.importIncomplete')) {
    return failure(
      error.code,
      error.message,
      'importing is idempotent: once the cause is fixed, run the same import again to write the rest',
    )
  }
  // Before the DynamoDB check below: this one is about the API Gateway management API.
  if (isChatDbError(error, 'connections.unreachable')) {
    return failure(
      error.code,
      error.message,
      'check --management-endpoint (https://{apiId}.execute-api.{region}.amazonaws.com/{stage}, or the URL `chatdb serve` prints)',
    )
  }
  if (isNetworkFailure(error) || isNetworkFailure(cause)) {
    return failure(
      'aws.unreachable',
      `cannot reach DynamoDB ${where}`,
      'check --endpoint / AWS_ENDPOINT_URL_DYNAMODB and that the server runs, or use --local for an embedded dynalite',
    )
  }
  if (isChatDbError(error, 'store.tableNotFound') || name === 'ResourceNotFoundException') {
    return failure(
      'store.tableNotFound',
      `table "${scene.tableName}" does not exist ${where}`,
      `create it with \`chatdb create-table --table ${scene.tableName}${scene.localDir ? ` ${localFlag(scene.localDir)}` : ''}\`, or pick another with --table / CHATDB_TABLE`,
    )
  }
  if (isChatDbError(error)) {
    const hint = error.code.startsWith('validation.')
      ? `check the arguments; \`${command} --help\` lists them`
      : error.code === 'store.unavailable' || error.code === 'store.contention'
        ? 'try again in a moment'
        : undefined
    return failure(error.code, error.message, hint)
  }
  if (name === 'CredentialsProviderError') {
    return failure(
      'aws.credentials',
      'no AWS credentials found',
      'set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, pass --profile (or AWS_PROFILE), or use --local',
    )
  }
  if (error instanceof Error && /region is missing/i.test(error.message)) {
    return failure('aws.region', 'no AWS region configured', 'pass --region or set AWS_REGION')
  }
  if (
    name &&
    [
      'UnrecognizedClientException',
      'InvalidSignatureException',
      'AccessDeniedException',
      'ExpiredTokenException',
    ].includes(name)
  ) {
    return failure(
      'aws.accessDenied',
      `${name}: ${(error as Error).message}`,
      'check the credentials and the profile in use',
    )
  }
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode
  // Something that is not DynamoDB answered: an error the SDK could not name ('Unknown'), or a
  // body it could not even parse (an HTML 404 page gives a SyntaxError; service errors carry $fault).
  const unparsed = status !== undefined && error instanceof Error && !('$fault' in error)
  if ((name === 'Unknown' && status) || unparsed) {
    return failure(
      'aws.badResponse',
      `${scene.endpoint ?? 'the endpoint'} answered HTTP ${status}, not as DynamoDB does`,
      'check --endpoint / AWS_ENDPOINT_URL_DYNAMODB (and any HTTP proxy in between)',
    )
  }
  const message =
    error instanceof Error
      ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}`
      : String(error)
  return failure('internal', message, 'run again with --debug for the stack trace')
}

/** `code: message` and the hint, as printed on stderr. */
export function formatError(report: ErrorReport): string {
  return `${report.code}: ${report.message}${report.hint ? `\nhint: ${report.hint}` : ''}`
}
