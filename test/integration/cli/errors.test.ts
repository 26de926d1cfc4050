import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { expectFailure, runBin, runCli, STACK_FRAME } from '../../support/cli.js'
import { dynamoEndpoint } from '../../support/dynamo.js'

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

  // Not a loopback name, so the CLI keeps the SDK's region and credentials chains (no stand-ins),
  // yet Linux connects 0.0.0.0 to this machine: requests that get signed reach the test engine.
  const nonLoopbackDynamo = () => dynamoEndpoint().replace('127.0.0.1', '0.0.0.0')

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
      localMissingTable,
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
      runCli(['inspect', 'rooms'], {
        env: { ...bareMachine, AWS_ENDPOINT_URL_DYNAMODB: nonLoopbackDynamo() },
      }),
      runCli(['inspect', 'rooms'], {
        env: {
          ...bareMachine,
          AWS_ENDPOINT_URL_DYNAMODB: nonLoopbackDynamo(),
          AWS_ACCESS_KEY_ID: 'k',
          AWS_SECRET_ACCESS_KEY: 's',
          AWS_REGION: undefined,
        },
      }),
      runCli(['inspect', 'rooms', `--local=${join(home, 'no-table')}`]),
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
    // The hint says how to create the table where the command looked: in the same --local directory.
    expectFailure(localMissingTable, 'store.tableNotFound')
    expect(localMissingTable.stderr).toContain(
      `\`chatdb create-table --table chat --local=${join(home, 'no-table')}\``,
    )

    expectFailure(badNumber, 'cli.usage', 2)
    expect(badNumber.stderr).toContain('--rooms must be a number')
    expectFailure(badChoice, 'cli.usage', 2)
    expect(badChoice.stderr).toContain('cli.usage: Invalid values: Argument: billing-mode, Given: "FREE"')
    expectFailure(missingArgument, 'cli.usage', 2)
    expectFailure(badRoomName, 'validation.roomName')
    // Hints name the command that was run, not a placeholder.
    expect(badRoomName.stderr).toContain('hint: check the arguments; `chatdb inspect room --help` lists them')

    // A usage error is its line and a pointer to the command's help; the help itself is not printed.
    expect(missingArgument.stderr).toBe(
      'cli.usage: Not enough non-option arguments: got 0, need at least 1\nhint: run `chatdb inspect room --help` for usage\n',
    )
    expect(badNumber.stderr).toBe(
      'cli.usage: --rooms must be a number, got "many"\nhint: run `chatdb seed --help` for usage\n',
    )
    expectFailure(unknownCommand, 'cli.usage', 2)
    expect(unknownCommand.stderr).toBe(
      'cli.usage: unknown command "crate-table". Did you mean create-table?\nhint: run `chatdb --help` for usage\n',
    )
    expectFailure(noCommand, 'cli.usage', 2)
    expect(noCommand.stderr).toBe('cli.usage: Name a command.\nhint: run `chatdb --help` for usage\n')
    for (const run of [badChoice, missingArgument, unknownCommand, noCommand])
      expect(run.stderr).not.toContain('Commands:')
    for (const run of [refused, missingTable, noCredentials, badNumber, unknownCommand])
      expect(run.stdout).toBe('')
  })

  it('gives ordinary mistakes codes of their own, never internal', async () => {
    // Not DynamoDB: /html answers like a web server's 404 page, /odd with an error DynamoDB never
    // sends (which stays `internal`, to see the --debug hint dropped when --debug was given).
    const web = createServer((request, response) => {
      request.resume()
      if (request.url?.startsWith('/odd')) {
        response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' })
        response.end(
          JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#OddException', message: 'odd' }),
        )
      } else {
        response.writeHead(404, { 'content-type': 'text/html' })
        response.end('<!DOCTYPE html><html><body>Not Found</body></html>')
      }
    })
    await new Promise<void>((done) => web.listen(0, '127.0.0.1', done))
    const site = `http://127.0.0.1:${(web.address() as AddressInfo).port}`
    // Root may write anywhere but in /proc; others cannot write to a 0555 directory.
    const readOnly = join(home, 'read-only')
    mkdirSync(readOnly, { recursive: true })
    chmodSync(readOnly, 0o555)
    const unwritable = process.getuid?.() === 0 ? '/proc' : readOnly
    try {
      const [
        shortName,
        spacedName,
        longName,
        notUrl,
        htmlEndpoint,
        oddEndpoint,
        oddEndpointDebug,
        servePort,
        devPort,
        devQueue,
        unwritableLocal,
        inspectBogus,
        badLimit,
        unknownFlag,
        missingTableInspect,
        help,
        envNotUrl,
        managementNotUrl,
        underProc,
      ] = await Promise.all([
        runCli(['inspect', 'rooms', '--table', 'x']),
        runCli(['inspect', 'rooms', '--table', 'a b']),
        runCli(['inspect', 'rooms', '--table', 'a'.repeat(300)]),
        runCli(['inspect', 'rooms', '--endpoint', 'not-a-url']),
        runCli(['inspect', 'rooms', '--endpoint', `${site}/html`]),
        runCli(['inspect', 'rooms', '--endpoint', `${site}/odd`]),
        runCli(['inspect', 'rooms', '--endpoint', `${site}/odd`, '--debug']),
        runCli(['serve', '--port', '99999']),
        runCli(['dev', '--port', '99999', `--local=${join(home, 'dev')}`]),
        runCli(['dev', '--max-queued-frames', '-1', `--local=${join(home, 'dev')}`]),
        runCli(['inspect', 'rooms', `--local=${unwritable}`]),
        runCli(['inspect', 'bogus']),
        runCli(['inspect', 'room', 'general', '--limit', 'abc']),
        runCli(['inspect', 'rooms', '--bogus-flag']),
        runCli(['inspect', 'table', '--table', 'no-such-table']),
        runCli(['--help']),
        runCli(['inspect', 'rooms'], { env: { AWS_ENDPOINT_URL_DYNAMODB: 'not-a-url' } }),
        runCli(['cleanup', 'stale', '--management-endpoint', 'not-a-url', '--dry-run']),
        // Node's recursive mkdir never returns on Linux's /proc (it answers ENOENT for /proc itself).
        existsSync('/proc/self') ? runCli(['inspect', 'rooms', '--local=/proc/chatdb/x']) : undefined,
      ])
      for (const run of [shortName, spacedName, longName]) {
        expectFailure(run, 'cli.usage', 2)
        expect(run.stderr).toContain('invalid table name')
      }
      expectFailure(notUrl, 'cli.usage', 2)
      expect(notUrl.stderr).toContain('"not-a-url"')
      expectFailure(envNotUrl, 'cli.usage', 2)
      expect(envNotUrl.stderr).toContain('AWS_ENDPOINT_URL_DYNAMODB must be an http(s) URL, got "not-a-url"')
      expectFailure(managementNotUrl, 'cli.usage', 2)
      expect(managementNotUrl.stderr).toContain('--management-endpoint must be an http(s) URL')
      expectFailure(htmlEndpoint, 'aws.badResponse')
      expect(htmlEndpoint.stderr).toContain('answered HTTP 404')
      expectFailure(oddEndpoint, 'internal')
      expect(oddEndpointDebug.stderr).toMatch(/^internal: OddException: odd$/m)
      expect(oddEndpointDebug.stderr).not.toContain('hint:')
      expect(oddEndpointDebug.stderr).toMatch(STACK_FRAME)
      for (const run of [servePort, devPort]) {
        expectFailure(run, 'cli.usage', 2)
        expect(run.stderr).toContain('--port must be a whole number 0–65535 (got 99999)')
      }
      // Refused before dev sets anything up: no dynalite directory.
      expectFailure(devQueue, 'cli.usage', 2)
      expect(devQueue.stderr).toContain('--max-queued-frames must be a whole number ≥ 0 (got -1)')
      expect(existsSync(join(home, 'dev'))).toBe(false)
      expectFailure(unwritableLocal, 'cli.local')
      if (underProc) expectFailure(underProc, 'cli.local')
      expectFailure(inspectBogus, 'cli.usage', 2)
      expect(inspectBogus.stderr).toContain('unknown inspect target "bogus"')
      expectFailure(badLimit, 'cli.usage', 2)
      expect(badLimit.stderr).toContain('--limit must be a number, got "abc"')
      expect(badLimit.stderr).not.toContain('NaN')
      expectFailure(unknownFlag, 'cli.usage', 2)
      expect(unknownFlag.stderr).toMatch(/^cli\.usage: Unknown argument: bogus-flag$/m)
      expect(unknownFlag.stderr).not.toContain('bogusFlag')
      expectFailure(missingTableInspect, 'store.tableNotFound')
      expect(missingTableInspect.stderr).toContain('chatdb create-table --table no-such-table')
      // Help wraps between words: each description reads whole once line breaks are spaces.
      const flowing = help.stdout.replace(/\s+/g, ' ')
      expect(flowing).toContain('write --local=dir before a command argument')
      expect(flowing).toContain('(ledger and lock in the table)')
    } finally {
      web.close()
    }
  })

  it('takes over a --local directory whose pid file names a live process that is not chatdb', async () => {
    const dir = join(home, 'stale-lock')
    mkdirSync(dir, { recursive: true })
    const pidFile = join(dir, 'chatdb.pid')
    // This test's own process: alive, but no dynalite of that directory answers anywhere (the
    // commands run as processes of their own, which this one is not).
    writeFileSync(pidFile, String(process.pid))
    const minuteAgo = new Date(Date.now() - 60_000)
    utimesSync(pidFile, minuteAgo, minuteAgo)
    const bare = await runBin(['inspect', 'rooms', `--local=${dir}`])
    // Reaching the embedded dynalite is what matters: its table does not exist yet.
    expectFailure(bare, 'store.tableNotFound')
    // A recorded port that does not answer as DynamoDB does is stale at once.
    writeFileSync(pidFile, JSON.stringify({ pid: process.pid, port: 1 }))
    expectFailure(await runBin(['inspect', 'rooms', `--local=${dir}`]), 'store.tableNotFound')
    // Without a port and freshly written, the holder may still be starting dynalite: refused.
    writeFileSync(pidFile, String(process.pid))
    const starting = await runBin(['inspect', 'rooms', `--local=${dir}`])
    expectFailure(starting, 'cli.local')
    expect(starting.stderr).toContain(`in use by another chatdb process (pid ${process.pid})`)
    expect(readFileSync(pidFile, 'utf8')).toBe(String(process.pid))
  })

  it('reaches a DynamoDB on a loopback endpoint without a region or credentials configured', async () => {
    const loopback = dynamoEndpoint().replace('127.0.0.1', 'localhost')
    const [fromVariable, fromFlag] = await Promise.all([
      runCli(['inspect', 'rooms', '--table', 'no-such-table'], {
        env: { ...bareMachine, AWS_REGION: undefined },
      }),
      runCli(['inspect', 'rooms', '--table', 'no-such-table', '--endpoint', loopback], {
        env: { ...bareMachine, AWS_REGION: undefined, AWS_ENDPOINT_URL_DYNAMODB: undefined },
      }),
    ])
    // The test engine answered: the requests were signed and sent, with stand-ins for what is missing.
    expectFailure(fromVariable, 'store.tableNotFound')
    expect(fromVariable.stderr).toContain(`does not exist at ${dynamoEndpoint()}`)
    expectFailure(fromFlag, 'store.tableNotFound')
    expect(fromFlag.stderr).toContain(`does not exist at ${loopback}`)
  })

  it('--profile takes credentials from that profile', async () => {
    const credentials = join(home, 'credentials')
    writeFileSync(credentials, '[other]\naws_access_key_id = other\naws_secret_access_key = other\n')
    // A loopback endpoint would stand in credentials when none are found: not one here.
    const env = {
      ...bareMachine,
      AWS_SHARED_CREDENTIALS_FILE: credentials,
      AWS_ENDPOINT_URL_DYNAMODB: nonLoopbackDynamo(),
    }
    const [withProfile, withoutProfile] = await Promise.all([
      runCli(['inspect', 'rooms', '--table', 'no-such-table', '--profile', 'other'], { env }),
      runCli(['inspect', 'rooms', '--table', 'no-such-table'], { env }),
    ])
    // With the profile the request reaches the test engine, which answers that the table is missing.
    expectFailure(withProfile, 'store.tableNotFound')
    expectFailure(withoutProfile, 'aws.credentials')
  })

  it('--help lists every command and exits 0 (the bin)', async () => {
    const help = await runBin(['--help'])
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
