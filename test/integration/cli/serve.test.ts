import { randomUUID } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb'
import { afterAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { bundledDatasetPath, loadSeedDataset } from '../../../src/admin/seedDataset.js'
import { seedTable } from '../../../src/admin/seedTable.js'
import { createChatRepository } from '../../../src/repository/chatRepository.js'
import { createTableStore } from '../../../src/repository/tableStore.js'
import { limits } from '../../../src/validation.js'
import { CLI_MAIN, expectFailure, runCli, startCli } from '../../support/cli.js'
import { createTestTable, newDocumentClient } from '../../support/dynamo.js'

type Frame = Record<string, unknown> & { type: string }

/** A WebSocket client that queues the frames it receives. */
async function connect(url: string) {
  const socket = new WebSocket(url)
  const frames: Frame[] = []
  const waiting: ((frame: Frame) => void)[] = []
  socket.on('message', (data) => {
    const frame = JSON.parse(String(data)) as Frame
    const next = waiting.shift()
    if (next) next(frame)
    else frames.push(frame)
  })
  await new Promise((opened, failed) => socket.once('open', opened).once('error', failed))
  return {
    send: (frame: Record<string, unknown>) => socket.send(JSON.stringify(frame)),
    next: () =>
      new Promise<Frame>((resolve) =>
        frames.length ? resolve(frames.shift() as Frame) : waiting.push(resolve),
      ),
    closed: new Promise<void>((resolve) => socket.once('close', () => resolve())),
    close: () => socket.close(),
  }
}

const dataset = loadSeedDataset(bundledDatasetPath())
const general = dataset.rooms.find((r) => r.roomName === 'general')

// Each test talks to a long-running `serve` or `dev`; both stop on a signal and exit 0.
describe('chatdb serve / dev (built CLI)', () => {
  const documentClient = newDocumentClient()
  const dirs: string[] = []
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'chatdb-serve-'))
    dirs.push(dir)
    return dir
  }
  afterAll(() => {
    documentClient.destroy()
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  it('serve --host 0.0.0.0 warns that the operator view has no authentication, and serves it', async () => {
    // Waits for ACTIVE: dynalite answers "not found" to a table still being created.
    const table = await createTestTable(documentClient, 'serve')
    await seedTable(
      createChatRepository({ documentClient, tableName: table }),
      createTableStore({ documentClient, tableName: table }),
      dataset,
    )
    // Bound on every interface, but the test only ever talks to 127.0.0.1. The shard flag wins
    // over its variable; the threshold comes from its variable.
    const server = startCli(['serve', '--host', '0.0.0.0', '--port', '0', '--large-room-shards', '8'], {
      table,
      env: { CHATDB_LARGE_ROOM_THRESHOLD: '50', CHATDB_LARGE_ROOM_SHARDS: '16' },
    })
    try {
      const ready = await server.ready
      expect(ready.largeRooms).toEqual({
        threshold: 50,
        shards: 8,
        fanOutQueue: { visibilityTimeoutMs: 30_000, maxReceiveCount: 5 },
      })
      expect(ready.warnings).toEqual(['inspect.unauthenticated'])
      expect(ready.operatorView).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/inspect$/)
      const page = await fetch(ready.operatorView as string)
      expect(page.status).toBe(200)
      expect(await page.text()).toContain('<script src="/inspect.js"')
      const rooms = await fetch(`${ready.managementEndpoint}/inspect/api/rooms`)
      expect(((await rooms.json()) as { roomName: string }[]).map((r) => r.roomName).sort()).toEqual(
        dataset.rooms.map((r) => r.roomName).sort(),
      )
    } finally {
      const { code, stderr } = await server.stop()
      expect(code).toBe(0)
      expect(stderr).toMatch(/^warning inspect\.unauthenticated: /m)
    }
  })

  it('serve runs the chat on a table, and cleanup stale removes only gone connections through its @connections API', async () => {
    // Waits for ACTIVE: dynalite answers "not found" to a table still being created.
    const table = await createTestTable(documentClient, 'serve')
    const repository = createChatRepository({ documentClient, tableName: table })
    await seedTable(repository, createTableStore({ documentClient, tableName: table }), dataset)
    // Connections that never existed on this gateway: GetConnection answers 410 for them.
    for (const connectionId of ['ghost-1=', 'ghost-2=']) {
      await repository.subscribe({ roomName: 'quiet', connectionId, userName: 'ghost' })
    }

    const server = startCli(['serve', '--port', '0'], { table })
    try {
      const ready = await server.ready
      expect(ready).toMatchObject({
        tableName: table,
        url: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+$/),
        page: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/$/),
        operatorView: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/inspect$/),
        warnings: [],
        // The library's defaults, and the in-process fan-out queue's SQS-like settings.
        largeRooms: {
          threshold: 1_000,
          shards: 64,
          fanOutQueue: { visibilityTimeoutMs: 30_000, maxReceiveCount: 5 },
        },
        // API Gateway's idle timeout (10 min) and connection duration (2 h).
        connectionLimits: { idleTimeoutMs: 600_000, maxConnectionAgeMs: 7_200_000 },
      })
      // The built CLI serves the chat page from dist/ (the build copies it there).
      const page = await fetch(ready.page as string)
      expect(page.status).toBe(200)
      expect(page.headers.get('content-type')).toMatch(/^text\/html/)
      expect(await page.text()).toContain('<script src="/chat.js"')
      const pageLimits = await fetch(new URL('/limits.js', ready.page as string))
      expect(pageLimits.status).toBe(200)
      expect(await pageLimits.text()).toContain(`"message":${limits.message}`)
      const client = await connect(ready.url as string)
      client.send({ action: 'subscribe', roomName: 'general', userName: 'zed' })
      const subscribed = await client.next()
      expect(subscribed).toMatchObject({ type: 'subscribed', roomName: 'general' })
      expect(subscribed.users).toEqual(expect.arrayContaining([...(general?.subscribers ?? []), 'zed']))
      client.send({ action: 'sendMessage', roomName: 'general', message: 'hello from the test' })
      expect(await client.next()).toMatchObject({
        type: 'newMessage',
        roomName: 'general',
        message: { userName: 'zed', message: 'hello from the test' },
      })
      const zed = (await repository.connectionsInRoom('general')).find((s) => s.userName === 'zed')
      expect(zed).toBeDefined()

      const stale = [
        'cleanup',
        'stale',
        '--management-endpoint',
        ready.managementEndpoint as string,
        '--json',
      ]
      const preview = (await runCli([...stale, '--dry-run'], { table })).json<{
        stale: string[]
        errors: unknown[]
      }>()
      expect(preview.stale).toEqual(expect.arrayContaining(['ghost-1=', 'ghost-2=']))
      expect(preview.stale).not.toContain(zed?.connectionId)
      expect(preview.errors).toEqual([])
      expect(await repository.connectionsInRoom('quiet')).toHaveLength(2)

      const cleaned = await runCli([...stale, '--yes'], { table })
      expect(cleaned.code, cleaned.stderr).toBe(0)
      expect(cleaned.json()).toMatchObject({ stale: preview.stale, dryRun: false })
      expect(await repository.connectionsInRoom('quiet')).toEqual([])
      expect((await repository.connectionsInRoom('general')).map((s) => s.connectionId)).toEqual([
        zed?.connectionId,
      ])

      const stopped = await server.stop('SIGTERM')
      expect(stopped.code).toBe(0)
      await client.closed
      // Closing the gateway disconnected zed: the room emptied.
      expect(await repository.connectionsInRoom('general')).toEqual([])
    } finally {
      server.child.kill('SIGKILL')
      await documentClient.send(new DeleteTableCommand({ TableName: table }))
    }
  })

  it('connect sends piped lines as frames and prints the answers; serve sums its routes up unless --verbose', async () => {
    const table = await createTestTable(documentClient, 'connect')
    const quiet = startCli(['serve', '--port', '0'], { table })
    const verbose = startCli(['serve', '--port', '0', '--verbose'], { table })
    try {
      const [quietReady, verboseReady] = await Promise.all([quiet.ready, verbose.ready])
      // What serve prints to copy: the built-in client, as npx finds it from chatdb's own clone.
      expect(quietReady.connect).toBe(`npx chatdb connect ${quietReady.url}`)
      const frames = [
        JSON.stringify({ action: 'subscribe', roomName: 'general', userName: 'ada' }),
        '',
        // The echo carries a bidi isolate: printed escaped, as everything a user chose.
        JSON.stringify({ action: 'sendMessage', roomName: 'general', message: 'hi \u2066there' }),
        'not json',
      ]
      const [piped, viaVerbose, refused, badUrl] = await Promise.all([
        runCli(['connect', quietReady.url as string], { input: `${frames.join('\n')}\n` }),
        runCli(['connect', verboseReady.url as string], { input: `${frames[0]}\n` }),
        runCli(['connect', 'ws://127.0.0.1:1']),
        runCli(['connect', 'http://127.0.0.1:3001']),
      ])
      expect(piped.code, piped.stderr).toBe(0)
      const printed = piped.stdout.trimEnd().split('\n')
      // subscribed, the newMessage broadcast, the error frame of the line that is not JSON.
      expect(printed).toHaveLength(3)
      expect(JSON.parse(printed[0] as string)).toMatchObject({
        type: 'subscribed',
        roomName: 'general',
        users: ['ada'],
      })
      expect(printed[1]).toContain('"message":"hi \\u2066there"')
      expect(printed[1]).not.toContain('\u2066')
      expect(JSON.parse(printed[2] as string)).toMatchObject({ type: 'error', statusCode: 400 })
      expect(viaVerbose.code, viaVerbose.stderr).toBe(0)
      expect(JSON.parse(viaVerbose.stdout)).toMatchObject({ type: 'subscribed', roomName: 'general' })
      expectFailure(refused, 'cli.connect')
      expect(refused.stderr).toContain('cannot connect to ws://127.0.0.1:1')
      expectFailure(badUrl, 'cli.usage', 2)
      expect(badUrl.stderr).toContain('must be a ws:// or wss:// URL')

      const [quietStopped, verboseStopped] = await Promise.all([quiet.stop('SIGINT'), verbose.stop('SIGINT')])
      expect(quietStopped.code).toBe(0)
      // No line per route without --verbose: summary lines count them (every 10 s, and on close).
      expect(quietStopped.stderr).not.toMatch(/^sendMessage \S+ 200 \d+ms$/m)
      expect(quietStopped.stderr).toMatch(/^\d+ routes? in the last \d+ s: .*\b1 sendMessage\b/m)
      expect(verboseStopped.code).toBe(0)
      expect(verboseStopped.stderr).toMatch(/^\$connect \S+ 200 \d+ms$/m)
      expect(verboseStopped.stderr).toMatch(/^subscribe \S+ 200 \d+ms$/m)
      expect(verboseStopped.stderr).not.toMatch(/routes in the last/)
    } finally {
      quiet.child.kill('SIGKILL')
      verbose.child.kill('SIGKILL')
      await documentClient.send(new DeleteTableCommand({ TableName: table }))
    }
  })

  it('dev on a machine without AWS setup: dynalite in .chatdb, table, fixtures, gateway; demo rooms and their history survive a message and a restart', async () => {
    const cwd = tempDir()
    // A fresh clone: no credentials, region or endpoint anywhere.
    const env = {
      HOME: cwd,
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_REGION: undefined,
      AWS_ENDPOINT_URL_DYNAMODB: undefined,
      AWS_EC2_METADATA_DISABLED: 'true',
    }
    const demoRooms = dataset.rooms.map((r) => r.roomName)
    const generalHistory = dataset.messages.filter((m) => m.roomName === 'general').length
    const listRooms = async (client: Awaited<ReturnType<typeof connect>>) => {
      client.send({ action: 'listRooms' })
      const list = await client.next()
      expect(list.type).toBe('roomList')
      return (list.rooms as { roomName: string }[]).map((r) => r.roomName)
    }
    const first = startCli(['dev', '--port', '0'], { cwd, env })
    try {
      const ready = await first.ready
      expect(ready).toMatchObject({
        local: join(cwd, '.chatdb'),
        tableName: 'chat',
        steps: { table: 'created', fixtures: 'seeded 5 rooms, 8 users, 33 messages' },
        demo: { members: 8, subscriptions: 22 },
        dynamoEndpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
        // Started from outside chatdb's package (a temporary directory): npx would not find it.
        inspect: `node ${CLI_MAIN} inspect rooms --local`,
        connect: `node ${CLI_MAIN} connect ${ready.url}`,
        sampleFrame: { action: 'subscribe', roomName: 'general', userName: 'ada' },
      })
      const client = await connect(ready.url as string)
      client.send(ready.sampleFrame as Record<string, unknown>)
      const subscribed = await client.next()
      expect(subscribed).toMatchObject({
        type: 'subscribed',
        roomName: 'general',
        users: [...(general?.subscribers ?? [])].sort(),
      })
      expect((subscribed.messages as unknown[]).length).toBe(generalHistory)
      client.send({ action: 'sendMessage', roomName: 'general', message: 'hello, demo' })
      expect(await client.next()).toMatchObject({ type: 'newMessage', message: { message: 'hello, demo' } })
      // The demo members are live connections: posting reached them, and nobody was removed.
      expect(await listRooms(client)).toEqual(demoRooms)
      client.close()

      // The running dev's dynalite is reachable through its directory: --local connects to it.
      const printed = (ready.inspect as string).split(' ').slice(2)
      const rooms = await runCli([...printed, '--json'], { cwd, env })
      expect(rooms.code, rooms.stderr).toBe(0)
      expect(rooms.json<{ rooms: { roomName: string; active: boolean }[] }>()).toEqual({
        rooms: demoRooms.map((roomName) => expect.objectContaining({ roomName, active: true })),
        unreadable: [],
      })
      // So does its endpoint, on a machine with no AWS region or credentials (docs/cli.md).
      const viaEndpoint = await runCli(['inspect', 'room', 'general', '--json'], {
        cwd,
        env: { ...env, AWS_ENDPOINT_URL_DYNAMODB: ready.dynamoEndpoint as string },
      })
      expect(viaEndpoint.code, viaEndpoint.stderr).toBe(0)
      expect((await first.stop('SIGINT')).code).toBe(0)
    } finally {
      first.child.kill('SIGKILL')
    }

    const second = startCli(['dev', '--port', '0'], { cwd, env })
    try {
      const ready = await second.ready
      expect(ready).toMatchObject({
        steps: { table: 'exists', fixtures: 'demo history complete (5 rooms, 33 messages)' },
        demo: { members: 8, subscriptions: 22 },
      })
      const client = await connect(ready.url as string)
      expect(await listRooms(client)).toEqual(demoRooms)
      client.send({ action: 'subscribe', roomName: 'general', userName: 'zed' })
      const subscribed = await client.next()
      const messages = subscribed.messages as { message: string }[]
      expect(messages).toHaveLength(generalHistory + 1)
      expect(messages.at(-1)?.message).toBe('hello, demo')
      client.close()
      expect((await second.stop('SIGINT')).code).toBe(0)
    } finally {
      second.child.kill('SIGKILL')
    }
  })

  it('Ctrl-C while dev seeds its fixtures exits 130; the next dev completes them', async () => {
    const cwd = tempDir()
    const env = { AWS_ENDPOINT_URL_DYNAMODB: undefined }
    // The hook pauses seeding after its first batch (25 of 33 messages) until the signal comes.
    const first = startCli(['dev', '--port', '0'], {
      cwd,
      env: { ...env, CHATDB_TEST_FIXTURE_PAUSE_MS: '60000' },
    })
    let stderr = ''
    const paused = new Promise<void>((resolve) =>
      first.child.stderr?.on('data', (chunk) => {
        stderr += chunk
        if (stderr.includes('fixtures: 25 of 33 demo messages written')) resolve()
      }),
    )
    try {
      await paused
      const stopped = await first.stop('SIGINT')
      expect(stopped.code, stopped.stderr).toBe(130)
      expect(stopped.stderr).toMatch(/^cli\.interrupted: chatdb dev setup interrupted by SIGINT/m)
    } finally {
      first.child.kill('SIGKILL')
    }

    const second = startCli(['dev', '--port', '0'], { cwd, env })
    try {
      const ready = await second.ready
      expect(ready).toMatchObject({
        steps: {
          table: 'exists',
          fixtures: 'completed the demo history: 8 missing messages written, 25 were there',
        },
        demo: { members: 8 },
      })
      const client = await connect(ready.url as string)
      client.send({ action: 'subscribe', roomName: 'general', userName: 'zed' })
      expect(((await client.next()).messages as unknown[]).length).toBe(
        dataset.messages.filter((m) => m.roomName === 'general').length,
      )
      client.close()
      expect((await second.stop('SIGINT')).code).toBe(0)
    } finally {
      second.child.kill('SIGKILL')
    }
  })

  it('dev and serve refuse a busy port at once (cli.portInUse), before touching dynalite or the table', async () => {
    const squatter = createServer()
    await new Promise<void>((listening) => squatter.listen(0, '127.0.0.1', listening))
    const port = String((squatter.address() as AddressInfo).port)
    try {
      const cwd = tempDir()
      const env = { AWS_ENDPOINT_URL_DYNAMODB: undefined }
      const dev = await runCli(['dev', '--port', port], { cwd, env })
      expectFailure(dev, 'cli.portInUse')
      expect(dev.stderr).toContain(`port ${port} on 127.0.0.1 is in use`)
      // Nothing was set up: no dynalite directory, so no table, migrations or fixtures.
      expect(existsSync(join(cwd, '.chatdb'))).toBe(false)
      expect(dev.stdout).not.toMatch(/table:|fixtures:/)

      const table = `busy-${randomUUID().slice(0, 8)}`
      const serve = await runCli(['serve', '--port', port], { table })
      expectFailure(serve, 'cli.portInUse')
    } finally {
      await new Promise((closed) => squatter.close(closed))
    }
  })

  it('dev and serve refuse a bad large-room threshold or shard count (cli.usage), before setting anything up', async () => {
    const cwd = tempDir()
    const dev = await runCli(['dev', '--port', '0', '--large-room-threshold', 'abc'], {
      cwd,
      env: { AWS_ENDPOINT_URL_DYNAMODB: undefined },
    })
    expectFailure(dev, 'cli.usage', 2)
    expect(dev.stderr).toContain('--large-room-threshold must be a whole number ≥ 2, or off (got "abc")')
    expect(existsSync(join(cwd, '.chatdb'))).toBe(false)
    const table = `bad-${randomUUID().slice(0, 8)}`
    const serve = await runCli(['serve', '--port', '0', '--large-room-shards', '0'], { table })
    expectFailure(serve, 'cli.usage', 2)
    expect(serve.stderr).toContain('--large-room-shards must be a whole number 1–1024 (got "0")')
    const fromEnv = await runCli(['serve', '--port', '0'], {
      table,
      env: { CHATDB_LARGE_ROOM_THRESHOLD: '1' },
    })
    expectFailure(fromEnv, 'cli.usage', 2)
    expect(fromEnv.stderr).toContain(
      'CHATDB_LARGE_ROOM_THRESHOLD must be a whole number ≥ 2, or off (got "1")',
    )
  })

  it('serve --idle-timeout scales the idle timeout (a quiet client is closed with 1001); bad limits are cli.usage, before setting anything up', async () => {
    const table = await createTestTable(documentClient, 'idle')
    const server = startCli(['serve', '--port', '0', '--idle-timeout', '1s', '--max-connection-age', 'off'], {
      table,
    })
    try {
      const ready = await server.ready
      expect(ready.connectionLimits).toEqual({ idleTimeoutMs: 1_000, maxConnectionAgeMs: 'off' })
      const socket = new WebSocket(ready.url as string)
      const closed = new Promise<[number, string]>((resolve) =>
        socket.once('close', (code, reason) => resolve([code, String(reason)])),
      )
      expect(await closed).toEqual([1001, 'Going away'])
      expect((await server.stop('SIGTERM')).code).toBe(0)
    } finally {
      server.child.kill('SIGKILL')
      await documentClient.send(new DeleteTableCommand({ TableName: table }))
    }
    const cwd = tempDir()
    const dev = await runCli(['dev', '--port', '0', '--idle-timeout', 'soon'], {
      cwd,
      env: { AWS_ENDPOINT_URL_DYNAMODB: undefined },
    })
    expectFailure(dev, 'cli.usage', 2)
    expect(dev.stderr).toContain(
      '--idle-timeout must be a positive whole number and a unit ms, s, m or h (e.g. 10m), or off (got "soon")',
    )
    expect(existsSync(join(cwd, '.chatdb'))).toBe(false)
    const serve = await runCli(['serve', '--port', '0', '--max-connection-age', '0s'], { table: 'unused' })
    expectFailure(serve, 'cli.usage', 2)
    expect(serve.stderr).toContain(
      '--max-connection-age must be a positive whole number and a unit ms, s, m or h (e.g. 10m), or off (got "0s")',
    )
  })

  it('serve refuses other sites’ pages and names unless --allow-origin / --allow-host name them; bad values are cli.usage', async () => {
    const table = await createTestTable(documentClient, 'origins')
    const badOrigin = await runCli(['serve', '--port', '0', '--allow-origin', 'http://localhost:5173/app'], {
      table,
    })
    expectFailure(badOrigin, 'cli.usage', 2)
    expect(badOrigin.stderr).toContain('--allow-origin must be a page origin')
    const badHost = await runCli(['serve', '--port', '0', '--allow-host', 'http://devbox.local'], { table })
    expectFailure(badHost, 'cli.usage', 2)
    expect(badHost.stderr).toContain('--allow-host must be a host name')

    const server = startCli(
      ['serve', '--port', '0', '--allow-origin', 'http://localhost:5173', '--allow-host', 'devbox.local'],
      { table },
    )
    try {
      const ready = await server.ready
      const url = ready.url as string
      const opens = (headers: Record<string, string>) =>
        new Promise<number>((resolve) => {
          const socket = new WebSocket(url, { headers })
          socket.on('open', () => {
            socket.close()
            resolve(101)
          })
          socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0))
          socket.on('error', () => {})
        })
      const port = new URL(url).port
      expect(await opens({ origin: 'https://evil.example' })).toBe(403)
      expect(await opens({ origin: 'http://localhost:5173' })).toBe(101)
      expect(await opens({ origin: `http://devbox.local:${port}`, host: `devbox.local:${port}` })).toBe(101)
      expect(await opens({ host: `rebind.evil.example:${port}` })).toBe(421)
      expect(await opens({})).toBe(101)
    } finally {
      const { code, stderr } = await server.stop()
      expect(code).toBe(0)
      // The refusal is on the developer's terminal (stderr under --json), with the origin to allow if it is theirs.
      expect(stderr).toContain('refused a WebSocket upgrade from origin "https://evil.example"')
    }
  })

  it('cleanup stale exits 1 with one summary when the @connections API cannot be reached', async () => {
    // Waits for ACTIVE: dynalite answers "not found" to a table still being created.
    const table = await createTestTable(documentClient, 'stale')
    try {
      const repository = createChatRepository({ documentClient, tableName: table })
      await seedTable(repository, createTableStore({ documentClient, tableName: table }), dataset)
      const subscribed = await repository.connectionsInRoom('general')
      expect(subscribed.length).toBeGreaterThan(0)
      const run = await runCli(
        ['cleanup', 'stale', '--management-endpoint', 'http://127.0.0.1:1', '--yes', '--concurrency', '2'],
        { table },
      )
      expectFailure(run, 'connections.unreachable')
      // The error and its hint: not one line per connection.
      expect(run.stderr.trim().split('\n')).toHaveLength(2)
      expect(run.stderr).toContain('ECONNREFUSED')
      expect(run.stdout).toBe('')
      expect(await repository.connectionsInRoom('general')).toEqual(subscribed)

      // An API that answers, but 403 for every connection: one line for them all, kept, exit 1.
      const forbidding = createServer((request, response) => {
        request.resume()
        response.writeHead(403, { 'content-type': 'application/json' })
        response.end(JSON.stringify({ message: 'Forbidden' }))
      })
      await new Promise<void>((done) => forbidding.listen(0, '127.0.0.1', done))
      try {
        const endpoint = `http://127.0.0.1:${(forbidding.address() as AddressInfo).port}`
        const denied = await runCli(['cleanup', 'stale', '--management-endpoint', endpoint, '--yes'], {
          table,
        })
        expect(denied.code, denied.stderr).toBe(1)
        const lines = denied.stdout.trim().split('\n')
        const connections = new Set(dataset.users.map((u) => u.connectionId)).size
        expect(lines[0]).toBe(`probed ${connections} connections: 0 gone, ${connections} unanswered (kept)`)
        expect(lines.slice(2)).toHaveLength(1)
        expect(lines[2]).toMatch(new RegExp(`^  ${connections} × .*Forbidden`))
        expect(await repository.connectionsInRoom('general')).toEqual(subscribed)
      } finally {
        forbidding.close()
      }
    } finally {
      await documentClient.send(new DeleteTableCommand({ TableName: table }))
    }
  })

  it("enforces API Gateway's request limits, AWS's numbers unless its flags say otherwise, and refuses bad ones in one line", async () => {
    const help = await runCli(['serve', '--help'])
    for (const [flag, value] of [
      ['--account-rate', '10000'],
      ['--account-burst', '5000'],
      ['--stage-rate', '1000'],
      ['--stage-burst', '500'],
    ]) {
      expect(help.stdout).toMatch(new RegExp(`${flag} [^[]*\\[string\\] \\[default: ${value}\\]`))
    }
    const [badRate, badBurst, burstWithoutRate] = await Promise.all([
      runCli(['serve', '--account-rate', 'lots']),
      runCli(['dev', '--stage-burst', '0', `--local=${join(tempDir(), 'dev')}`]),
      runCli(['serve', '--stage-rate', 'off', '--stage-burst', '5']),
    ])
    expectFailure(badRate, 'cli.usage', 2)
    expect(badRate.stderr).toContain('--account-rate must be a positive number, or off (got "lots")')
    expectFailure(badBurst, 'cli.usage', 2)
    expect(badBurst.stderr).toContain('--stage-burst must be a whole number ≥ 1 (got "0")')
    expectFailure(burstWithoutRate, 'cli.usage', 2)

    const table = await createTestTable(documentClient, 'serve')
    const server = startCli(['serve', '--port', '0', '--stage-rate', '0.1', '--stage-burst', '2'], { table })
    try {
      const ready = await server.ready
      expect(ready.limits).toEqual({ account: '10000/s, burst 5000', route: '0.1/s, burst 2' })
      const client = await connect(ready.url as string)
      for (let i = 0; i < 4; i++) client.send({ action: 'listRooms' })
      const frames = [await client.next(), await client.next(), await client.next(), await client.next()]
      // Two listRooms within the route's burst; two throttled on arrival, before either answer.
      expect(frames.filter((f) => f.type === 'roomList')).toHaveLength(2)
      expect(frames.filter((f) => f.message === 'Too Many Requests')).toHaveLength(2)
      client.close()
      await client.closed
    } finally {
      const { code, stderr } = await server.stop()
      expect(code).toBe(0)
      expect(stderr).toMatch(/^throttled 1 request\(s\), the last a listRooms request over the stage limit/m)
      await documentClient.send(new DeleteTableCommand({ TableName: table }))
    }
  })

  it('--local <dir> keeps the table between invocations', async () => {
    const dir = join(tempDir(), 'db')
    const created = await runCli(['create-table', `--local=${dir}`, '--json'])
    expect(created.json()).toMatchObject({ action: 'created' })
    const inspected = await runCli(['inspect', 'table', `--local=${dir}`, '--json'])
    expect(inspected.json()).toMatchObject({ tableName: 'chat', status: 'ACTIVE', scannedItems: 0 })
  })
})
