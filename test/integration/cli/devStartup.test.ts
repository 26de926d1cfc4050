import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { connect as connectTcp, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { holdGatewayDirectory } from '../../../cli/gatewayLock.js'
import { reservePort } from '../../../cli/port.js'
import { expectFailure, runCli, startCli } from '../../support/cli.js'
import { freePort } from '../../support/freePort.js'

/** A TCP connection that sends nothing and stays open until the other side closes it. */
function idleConnection(port: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = connectTcp(port, '127.0.0.1')
    socket.once('connect', () => resolve(socket))
    socket.once('error', () => resolve(undefined))
  })
}

/** The status of a GET on a kept-alive connection (undefined: refused or reset). */
function httpStatus(port: number, agent?: import('node:http').Agent): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent, timeout: 5_000 }, (response) => {
      response.resume()
      resolve(response.statusCode)
    })
    req.once('error', () => resolve(undefined))
    req.once('timeout', () => req.destroy())
    req.end()
  })
}

/** What a WebSocket upgrade gets: 'open', an HTTP status it was refused with, or 'error'. */
function upgrade(port: number): Promise<'open' | number | 'error'> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}`)
    socket.once('open', () => {
      socket.close()
      resolve('open')
    })
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 'error')
      socket.terminate()
    })
    socket.once('error', () => resolve('error'))
  })
}

const within = <T>(promise: Promise<T>, ms: number, what: string) =>
  Promise.race([
    promise,
    new Promise<never>((_, failed) =>
      setTimeout(() => failed(new Error(`${what}: not within ${ms} ms`)), ms),
    ),
  ])

describe('reservePort', () => {
  it('answers 503 while held, and release() closes every connection instead of waiting for it', async () => {
    const reservation = await reservePort('127.0.0.1', 0)
    const { port } = reservation
    expect(port).toBeGreaterThan(0)
    const idle = await idleConnection(port)
    const idleClosed = new Promise<void>((closed) => idle?.once('close', () => closed()))
    const keptAlive = new (await import('node:http')).Agent({ keepAlive: true })
    expect(await httpStatus(port, keptAlive)).toBe(503)
    expect(await upgrade(port)).toBe(503)
    // A connection that never sent a byte must not hold the port.
    await within(reservation.release(), 2_000, 'release with open connections')
    await within(idleClosed, 2_000, 'the idle connection closed')
    keptAlive.destroy()
    // The port is free for the gateway now.
    const next = await reservePort('127.0.0.1', port)
    await next.release()
  })
})

describe('chatdb dev start-up', () => {
  const dirs: string[] = []
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'chatdb-startup-'))
    dirs.push(dir)
    return dir
  }
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })
  const env = { AWS_ENDPOINT_URL_DYNAMODB: undefined }

  it('comes up and serves while clients keep connecting throughout its set-up', async () => {
    const cwd = tempDir()
    const port = await freePort()
    // Seeding pauses between fixture batches: a set-up of a few seconds to connect through.
    const dev = startCli(['dev', '--port', String(port)], {
      cwd,
      env: { ...env, CHATDB_TEST_FIXTURE_PAUSE_MS: '1500' },
    })
    let ready = false
    const seen = { http: [] as (number | undefined)[], upgrades: [] as ('open' | number | 'error')[] }
    const idle: Socket[] = []
    const keptAlive = new (await import('node:http')).Agent({ keepAlive: true })
    try {
      const readyNow = dev.ready.then((document) => {
        ready = true
        return document
      })
      // As a page left open does: reconnect with a short backoff, keep what it opened.
      const hammer = (async () => {
        while (!ready) {
          const socket = await idleConnection(port)
          if (socket) idle.push(socket)
          seen.http.push(await httpStatus(port, keptAlive))
          seen.upgrades.push(await upgrade(port))
          await new Promise((later) => setTimeout(later, 100))
        }
      })()
      const document = await within(readyNow, 45_000, 'dev ready')
      await hammer
      // Set-up was reached by clients and answered "starting", never left waiting.
      expect(seen.http).toContain(503)
      expect(seen.upgrades).toContain(503)
      expect(document.url).toBe(`ws://127.0.0.1:${port}`)
      // The gateway serves: the page over HTTP and the protocol over WebSocket.
      expect(await httpStatus(port)).toBe(200)
      const client = new WebSocket(document.url as string)
      const frame = new Promise<Record<string, unknown>>((resolve) =>
        client.once('message', (data) => resolve(JSON.parse(String(data)))),
      )
      await new Promise((opened, failed) => client.once('open', opened).once('error', failed))
      client.send(JSON.stringify({ action: 'subscribe', roomName: 'general', userName: 'early' }))
      expect(await within(frame, 10_000, 'subscribed')).toMatchObject({
        type: 'subscribed',
        roomName: 'general',
      })
      client.close()
      expect((await dev.stop('SIGINT')).code).toBe(0)
    } finally {
      ready = true
      for (const socket of idle) socket.destroy()
      keptAlive.destroy()
      dev.child.kill('SIGKILL')
    }
  })

  it('refuses a second gateway on the same directory (cli.gatewayRunning) before setting anything up', async () => {
    const cwd = tempDir()
    const first = startCli(['dev', '--port', '0'], { cwd, env })
    try {
      const ready = await first.ready
      const second = await runCli(['dev', '--port', '0'], { cwd, env })
      expectFailure(second, 'cli.gatewayRunning')
      const firstUrl = (ready.url as string).replace('ws://', 'http://')
      expect(second.stderr).toContain(`${firstUrl}/`)
      expect(second.stdout).not.toMatch(/table:|fixtures:/)
      // serve on the same directory is the same second gateway.
      const serve = await runCli(['serve', '--port', '0', '--local'], { cwd, env })
      expectFailure(serve, 'cli.gatewayRunning')
      // The first gateway's members are untouched: its demo users are still in general.
      const client = new WebSocket(ready.url as string)
      const frame = new Promise<Record<string, unknown>>((resolve) =>
        client.once('message', (data) => resolve(JSON.parse(String(data)))),
      )
      await new Promise((opened, failed) => client.once('open', opened).once('error', failed))
      client.send(JSON.stringify({ action: 'subscribe', roomName: 'general', userName: 'zed' }))
      const subscribed = await frame
      expect((subscribed.users as string[]).length).toBeGreaterThan(1)
      client.close()
      expect((await first.stop('SIGINT')).code).toBe(0)
    } finally {
      first.child.kill('SIGKILL')
    }
    // Stopped, it leaves the directory free for the next one.
    const again = startCli(['dev', '--port', '0'], { cwd, env })
    try {
      await again.ready
      expect((await again.stop('SIGINT')).code).toBe(0)
    } finally {
      again.child.kill('SIGKILL')
    }
  })

  it('takes over a record left by a gateway that is gone', async () => {
    const dir = tempDir()
    const record = () => JSON.parse(readFileSync(join(dir, 'gateway.pid'), 'utf8'))
    // A live process (not this one) at a URL where nothing answers: a gateway that is gone.
    writeFileSync(join(dir, 'gateway.pid'), JSON.stringify({ pid: process.ppid, url: 'http://127.0.0.1:9/' }))
    const taken = await holdGatewayDirectory(dir, 'http://127.0.0.1:3001/')
    expect(record()).toEqual({ pid: process.pid, url: 'http://127.0.0.1:3001/' })
    taken.release()
    expect(existsSync(join(dir, 'gateway.pid'))).toBe(false)
  })
})
