import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CliError, EXIT, errorReport, formatError } from '../../../cli/errors.js'
import { ChatDbError } from '../../../src/errors.js'

const scene = { tableName: 'chat', endpoint: 'http://127.0.0.1:8000' }

function named(name: string, message = name, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { name }, extra)
}

describe('errorReport', () => {
  it('prints CliErrors with their code and hint, usage errors with exit code 2', () => {
    expect(errorReport(new CliError('cli.notFound', 'no room "x"', 'list them'), scene)).toEqual({
      code: 'cli.notFound',
      message: 'no room "x"',
      hint: 'list them',
      exitCode: EXIT.failure,
    })
    expect(errorReport(new CliError('cli.usage', 'bad'), scene).exitCode).toBe(EXIT.usage)
    // Stopped by Ctrl-C at a safe point: 130, as a shell reports a SIGINT death.
    expect(errorReport(new CliError('cli.interrupted', 'stopped'), scene).exitCode).toBe(130)
  })

  it('keeps the lines and the written count of an incomplete import, whatever its cause', () => {
    const cause = named('TimeoutError', 'socket hang up', { code: 'ECONNRESET' })
    const message =
      'writing lines 26-50 failed (TimeoutError ECONNRESET: socket hang up); 25 of 60 items were written'
    const report = errorReport(new ChatDbError('store.importIncomplete', message, { cause }), scene)
    expect(report).toMatchObject({ code: 'store.importIncomplete', message, exitCode: EXIT.failure })
    expect(report.hint).toContain('run the same import again')
  })

  it('names the table and suggests create-table when the table is missing, raw or translated', () => {
    for (const error of [
      named('ResourceNotFoundException', 'Requested resource not found'),
      new ChatDbError('store.tableNotFound', 'table not found'),
    ]) {
      const report = errorReport(error, scene)
      expect(report.code).toBe('store.tableNotFound')
      expect(report.message).toBe('table "chat" does not exist at http://127.0.0.1:8000')
      expect(report.hint).toContain('chatdb create-table --table chat')
    }
  })

  it('says where the embedded dynalite is, for --local', () => {
    const report = errorReport(named('ResourceNotFoundException'), { tableName: 't', localDir: '/tmp/x' })
    expect(report.message).toContain('in the embedded dynalite (/tmp/x)')
  })

  it('recognises an unreachable endpoint by error code, nested causes and timeouts', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
    const cases = [
      refused,
      new AggregateError([refused], 'all failed'),
      named('TimeoutError'),
      new ChatDbError('store.unavailable', 'did not serve', { cause: named('TimeoutError') }),
      Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' }),
    ]
    for (const error of cases) {
      const report = errorReport(error, scene)
      expect(report.code).toBe('aws.unreachable')
      expect(report.message).toBe('cannot reach DynamoDB at http://127.0.0.1:8000')
      expect(report.exitCode).toBe(EXIT.failure)
    }
  })

  it('explains missing credentials and a missing region', () => {
    expect(errorReport(named('CredentialsProviderError', 'Could not load credentials'), scene).code).toBe(
      'aws.credentials',
    )
    expect(errorReport(new Error('Region is missing'), scene).code).toBe('aws.region')
  })

  it('reports a non-DynamoDB HTTP answer with its status', () => {
    const report = errorReport(
      named('Unknown', 'UnknownError', { $metadata: { httpStatusCode: 404 } }),
      scene,
    )
    expect(report).toMatchObject({ code: 'aws.badResponse', message: expect.stringContaining('HTTP 404') })
  })

  it('keeps ChatDbError codes and hints at --help for validation errors', () => {
    const report = errorReport(new ChatDbError('validation.roomName', 'roomName must not be empty'), scene)
    expect(report).toMatchObject({ code: 'validation.roomName', message: 'roomName must not be empty' })
    expect(report.hint).toContain('--help')
  })

  it('names the command that failed in the hints of usage and validation errors', () => {
    const failed = { ...scene, command: 'chatdb inspect room' }
    expect(errorReport(new CliError('cli.usage', 'Unknown argument: x'), failed).hint).toBe(
      'run `chatdb inspect room --help` for usage',
    )
    // A usage error with a hint of its own keeps it.
    expect(errorReport(new CliError('cli.usage', 'bad', 'e.g. --port 3001'), failed).hint).toBe(
      'e.g. --port 3001',
    )
    const validation = errorReport(
      new ChatDbError('validation.roomName', 'roomName must not be empty'),
      failed,
    )
    expect(validation.hint).toBe('check the arguments; `chatdb inspect room --help` lists them')
    expect(errorReport(new CliError('cli.usage', 'Name a command.'), scene).hint).toBe(
      'run `chatdb --help` for usage',
    )
  })

  it('suggests creating a missing table the way the command reached it: --local when it was used', () => {
    const missing = new ChatDbError('store.tableNotFound', 'no table')
    const local = errorReport(missing, { tableName: 'chat', localDir: resolve('.chatdb') })
    expect(local.message).toContain(`in the embedded dynalite (${resolve('.chatdb')})`)
    expect(local.hint).toContain('`chatdb create-table --table chat --local`')
    const elsewhere = errorReport(missing, { tableName: 'chat', localDir: '/tmp/chatdb-elsewhere' })
    expect(elsewhere.hint).toContain('`chatdb create-table --table chat --local=/tmp/chatdb-elsewhere`')
    expect(errorReport(missing, scene).hint).toContain('`chatdb create-table --table chat`')
  })

  it('falls back to internal with a --debug hint, never the stack', () => {
    const report = errorReport(new TypeError('x is not a function'), scene)
    expect(report).toMatchObject({ code: 'internal', message: 'TypeError: x is not a function', exitCode: 1 })
    expect(report.hint).toContain('--debug')
  })
})

describe('formatError', () => {
  it('prints code: message, then the hint on its own line', () => {
    expect(
      formatError({ code: 'cli.notFound', message: 'no room "x"', hint: 'list them', exitCode: 1 }),
    ).toBe('cli.notFound: no room "x"\nhint: list them')
    expect(formatError({ code: 'internal', message: 'boom', exitCode: 1 })).toBe('internal: boom')
  })
})
