import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { expectFailure, runCli, STACK_FRAME } from '../support/cli.js'

describe('chatdb errors (built CLI)', () => {
  const home = mkdtempSync(join(tmpdir(), 'chatdb-home-'))
  afterAll(() => rmSync(home, { recursive: true, force: true }))

  // A machine with no AWS configuration at all: no keys, no profile files, no instance metadata.
  const bareMachine = {
    HOME: home,
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_CONFIG_FILE: join(home, 'none'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
    AWS_EC2_METADATA_DISABLED: 'true',
  }

  it('turns each failure into one line with a hint and the right exit code, never a stack', async () => {
    const unreachable = ['--endpoint', 'http://127.0.0.1:1']
    const [
      refused,
      refusedJson,
      refusedDebug,
      missingTable,
      badDuration,
      noCredentials,
      noRegion,
      badNumber,
      badChoice,
      missingArgument,
      badRoomName,
      unknownCommand,
      noCommand,
    ] = await Promise.all([
      runCli(['inspect', 'rooms', ...unreachable]),
      runCli(['inspect', 'rooms', ...unreachable, '--json']),
      runCli(['inspect', 'rooms', ...unreachable, '--debug']),
      runCli(['inspect', 'rooms', '--table', 'no-such-table']),
      runCli(['cleanup', 'messages', '--older-than', '30 days', '--dry-run']),
      runCli(['inspect', 'rooms'], { env: bareMachine }),
      runCli(['inspect', 'rooms'], {
        env: { ...bareMachine, AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's', AWS_REGION: undefined },
      }),
      runCli(['seed', '--rooms', 'many']),
      runCli(['create-table', '--billing-mode', 'FREE']),
      runCli(['inspect', 'room']),
      runCli(['inspect', 'room', 'a|b']),
      runCli(['crate-table']),
      runCli([]),
    ])

    expectFailure(refused, 'aws.unreachable')
    expect(refused.stderr).toContain('cannot reach DynamoDB at http://127.0.0.1:1')
    expect(refusedJson.json()).toMatchObject({ error: { code: 'aws.unreachable' } })
    expect(refusedDebug.code).toBe(1)
    expect(refusedDebug.stderr).toMatch(STACK_FRAME)

    expectFailure(missingTable, 'store.tableNotFound')
    expect(missingTable.stderr).toContain('table "no-such-table" does not exist')
    expect(missingTable.stderr).toContain('chatdb create-table --table no-such-table')
    expectFailure(badDuration, 'validation.option')
    expect(badDuration.stderr).toContain('"30 days" is not a duration')

    expectFailure(noCredentials, 'aws.credentials')
    expectFailure(noRegion, 'aws.region')

    expectFailure(badNumber, 'cli.usage', 2)
    expect(badNumber.stderr).toContain('--rooms must be a number')
    expectFailure(badChoice, 'cli.usage', 2)
    expect(badChoice.stderr).toContain('cli.usage: Invalid values: Argument: billing-mode, Given: "FREE"')
    expectFailure(missingArgument, 'cli.usage', 2)
    expectFailure(badRoomName, 'validation.roomName')

    expectFailure(unknownCommand, 'cli.usage', 2)
    expect(unknownCommand.stderr).toContain('unknown command "crate-table". Did you mean create-table?')
    expect(unknownCommand.stderr).toContain('Commands:')
    expectFailure(noCommand, 'cli.usage', 2)
    expect(noCommand.stderr).toContain('Commands:')
    for (const run of [refused, missingTable, noCredentials, badNumber, unknownCommand])
      expect(run.stdout).toBe('')
  })

  it('--profile takes credentials from that profile', async () => {
    const credentials = join(home, 'credentials')
    writeFileSync(credentials, '[other]\naws_access_key_id = other\naws_secret_access_key = other\n')
    const env = { ...bareMachine, AWS_SHARED_CREDENTIALS_FILE: credentials }
    const [withProfile, withoutProfile] = await Promise.all([
      runCli(['inspect', 'rooms', '--table', 'no-such-table', '--profile', 'other'], { env }),
      runCli(['inspect', 'rooms', '--table', 'no-such-table'], { env }),
    ])
    // With the profile the request reaches dynalite, which answers that the table is missing.
    expectFailure(withProfile, 'store.tableNotFound')
    expectFailure(withoutProfile, 'aws.credentials')
  })

  it('--help lists every command and exits 0', async () => {
    const help = await runCli(['--help'])
    expect(help.code).toBe(0)
    for (const command of [
      'create-table',
      'delete-table',
      'seed',
      'inspect',
      'cleanup',
      'export',
      'import',
      'serve',
      'dev',
    ]) {
      expect(help.stdout).toContain(`chatdb ${command}`)
    }
  })
})
