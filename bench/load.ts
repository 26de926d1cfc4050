import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CreateTableCommand } from '@aws-sdk/client-dynamodb'
import dynalite from 'dynalite'
import WebSocket from 'ws'
import { createDocumentClient } from '../src/client.js'
import { allItems, scanPages } from '../src/repository/pager.js'
import { tableDefinition } from '../src/table.js'

export interface LoadOptions {
  clients: number
  rooms: number
  messages: number
  /** Garbage frames each client sends at the end. */
  garbage: number
  /** Gives up after this long (ms). */
  timeoutMs: number
  log?: (line: string) => void
}

export interface LoadReport {
  clients: number
  rooms: number
  messagesSent: number
  messagesStored: number
  deliveries: number
  expectedDeliveries: number
  seconds: number
  messagesPerSecond: number
  deliveriesPerSecond: number
  latencyMs: { p50: number; p99: number; max: number }
  garbageAnswered: number
  /** Every broken invariant, in words; empty when the run is clean. */
  violations: string[]
}

// The repository root, from bench/ (vitest runs the source) or from dist/bench/ (npm run load).
const here = fileURLToPath(new URL('.', import.meta.url))
const root = resolve(here, here.includes('/dist/bench') ? '../..' : '..')
type Frame = { type: string; [key: string]: unknown }

/** Starts the built `chatdb serve` against `endpoint` and resolves with its WebSocket URL. */
async function startServe(
  endpoint: string,
  tableName: string,
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [
      `${root}/dist/cli/main.js`,
      'serve',
      '--json',
      '--port',
      '0',
      '--endpoint',
      endpoint,
      '--region',
      'local',
      '--table',
      tableName,
      // This measures the handlers on this machine, not API Gateway's quotas: its bursts (every
      // client's messages at once, 1,000 sendMessage frames in the full run, and the garbage
      // storm) are over a route's burst of 500, which the gateway would throttle as AWS does
      // (docs/capacity.md, "The stage throttle").
      '--stage-rate',
      'off',
      '--account-rate',
      'off',
    ],
    {
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'load', AWS_SECRET_ACCESS_KEY: 'load' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let out = ''
  let err = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString()
  })
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      try {
        resolve((JSON.parse(out) as { url: string }).url)
      } catch {
        // not a whole JSON document yet
      }
    })
    child.once('exit', (code) => reject(new Error(`chatdb serve exited (${code}): ${err.trim()}`)))
  })
  return { url, child }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number
}

/**
 * N real WebSocket clients through `chatdb serve`: each subscribes to one of R rooms, waits for
 * everyone, sends M messages, and the run checks that every message is stored exactly once and
 * delivered exactly once to every subscriber of its room, and nowhere else. Then each client
 * sends garbage frames, every one must be answered with a 400, and the server must still serve.
 */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const log = options.log ?? (() => {})
  const server = dynalite({ createTableMs: 0 })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const documentClient = createDocumentClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
  })
  const tableName = `load-${randomUUID().slice(0, 8)}`
  await documentClient.send(new CreateTableCommand(tableDefinition(tableName)))
  const { url, child } = await startServe(endpoint, tableName)
  log(
    `chatdb serve on ${url}; ${options.clients} clients in ${options.rooms} rooms, ${options.messages} messages each`,
  )

  const violations: string[] = []
  const sockets: WebSocket[] = []
  const deadline = setTimeout(() => {
    violations.push(`gave up after ${options.timeoutMs} ms`)
    for (const s of sockets) s.terminate()
  }, options.timeoutMs)
  try {
    const clients = await Promise.all(
      Array.from({ length: options.clients }, async (_, i) => {
        const socket = new WebSocket(url)
        sockets.push(socket)
        const frames: Frame[] = []
        const received = new Map<string, number>()
        socket.on('message', (data) =>
          frames.push({ ...(JSON.parse(data.toString()) as Frame), at: performance.now() }),
        )
        await new Promise<void>((resolve, reject) => {
          socket.once('open', () => resolve())
          socket.once('error', reject)
        })
        return {
          i,
          socket,
          frames,
          received,
          roomName: `load-room-${i % options.rooms}`,
          userName: `user-${i}`,
        }
      }),
    )
    const waitFor = async (check: () => boolean, what: string) => {
      while (!check()) {
        if (violations.length > 0) throw new Error(`${what}: ${violations.join('; ')}`)
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
    }
    for (const c of clients)
      c.socket.send(JSON.stringify({ action: 'subscribe', roomName: c.roomName, userName: c.userName }))
    await waitFor(() => clients.every((c) => c.frames.some((f) => f.type === 'subscribed')), 'subscribing')
    const perRoom = new Map<string, number>()
    for (const c of clients) perRoom.set(c.roomName, (perRoom.get(c.roomName) ?? 0) + 1)

    const started = performance.now()
    const sentAt = new Map<string, number>()
    for (let m = 0; m < options.messages; m++) {
      for (const c of clients) {
        const text = `m|${c.i}|${m}`
        sentAt.set(text, performance.now())
        c.socket.send(JSON.stringify({ action: 'sendMessage', roomName: c.roomName, message: text }))
      }
    }
    const expectedDeliveries = clients.reduce(
      (n, c) => n + options.messages * (perRoom.get(c.roomName) ?? 0),
      0,
    )
    const deliveredCount = () =>
      clients.reduce((n, c) => n + c.frames.filter((f) => f.type === 'newMessage').length, 0)
    await waitFor(() => deliveredCount() >= expectedDeliveries, 'delivering')
    const seconds = (performance.now() - started) / 1000
    // Let stragglers (duplicates, if any) arrive before judging.
    await new Promise((resolve) => setTimeout(resolve, 200))

    const latencies: number[] = []
    for (const c of clients) {
      const seen = new Map<string, number>()
      for (const f of c.frames) {
        if (f.type !== 'newMessage') continue
        const message = f.message as { message: string }
        if (f.roomName !== c.roomName) violations.push(`client ${c.i} got a message of ${String(f.roomName)}`)
        seen.set(message.message, (seen.get(message.message) ?? 0) + 1)
        const at = sentAt.get(message.message)
        if (at !== undefined) latencies.push((f.at as number) - at)
      }
      for (const other of clients.filter((o) => o.roomName === c.roomName)) {
        for (let m = 0; m < options.messages; m++) {
          const count = seen.get(`m|${other.i}|${m}`) ?? 0
          if (count !== 1) violations.push(`client ${c.i} got m|${other.i}|${m} ${count} times`)
        }
      }
      const errors = c.frames.filter((f) => f.type === 'error')
      if (errors.length > 0)
        violations.push(`client ${c.i} got error frames: ${JSON.stringify(errors.slice(0, 2))}`)
    }

    const stored = await allItems(
      scanPages(documentClient, {
        TableName: tableName,
        FilterExpression: '#et = :m',
        ExpressionAttributeNames: { '#et': '_et' },
        ExpressionAttributeValues: { ':m': 'Message' },
      }),
    )
    const storedTexts = new Map<string, number>()
    for (const item of stored)
      storedTexts.set(item.message as string, (storedTexts.get(item.message as string) ?? 0) + 1)
    for (const text of sentAt.keys()) {
      if (storedTexts.get(text) !== 1) violations.push(`${text} stored ${storedTexts.get(text) ?? 0} times`)
    }

    // The storm: garbage of every kind, then the server must still answer.
    const garbage = [
      'not json',
      '[]',
      '{"action":"nope"}',
      '{"action":"subscribe","roomName":"a|b","userName":"x"}',
      'x'.repeat(70_000),
    ]
    for (const c of clients)
      for (let g = 0; g < options.garbage; g++) c.socket.send(garbage[g % garbage.length] as string)
    const expectedErrors = options.clients * options.garbage
    const errorCount = () =>
      clients.reduce(
        (n, c) => n + c.frames.filter((f) => f.type === 'error' && f.statusCode === 400).length,
        0,
      )
    await waitFor(() => errorCount() >= expectedErrors, 'answering garbage')
    const probe = clients[0]
    if (probe) {
      probe.socket.send(JSON.stringify({ action: 'listRooms' }))
      await waitFor(() => probe.frames.some((f) => f.type === 'roomList'), 'listRooms after the storm')
      const list = probe.frames.find((f) => f.type === 'roomList') as unknown as {
        rooms: { roomName: string }[]
      }
      if (list.rooms.length !== options.rooms)
        violations.push(`roomList has ${list.rooms.length} rooms, not ${options.rooms}`)
    }
    latencies.sort((a, b) => a - b)
    const deliveries = deliveredCount()
    return {
      clients: options.clients,
      rooms: options.rooms,
      messagesSent: sentAt.size,
      messagesStored: stored.length,
      deliveries,
      expectedDeliveries,
      seconds,
      messagesPerSecond: sentAt.size / seconds,
      deliveriesPerSecond: deliveries / seconds,
      latencyMs: {
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: latencies.at(-1) ?? Number.NaN,
      },
      garbageAnswered: errorCount(),
      violations,
    }
  } finally {
    clearTimeout(deadline)
    for (const s of sockets) s.terminate()
    child.kill('SIGTERM')
    await new Promise((resolve) => child.once('exit', resolve))
    documentClient.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

function flag(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`)
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} takes a positive integer`)
  return value
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const quick = process.argv.includes('--quick')
  runLoad({
    clients: flag('clients', quick ? 20 : 100),
    rooms: flag('rooms', quick ? 2 : 5),
    messages: flag('messages', quick ? 3 : 10),
    garbage: flag('garbage', quick ? 5 : 20),
    timeoutMs: flag('timeout', 300_000),
    log: (line) => process.stderr.write(`${line}\n`),
  })
    .then((report) => {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
      process.stderr.write(
        `load: ${report.messagesSent} messages, ${report.deliveries} deliveries in ${report.seconds.toFixed(2)} s — ` +
          `${report.messagesPerSecond.toFixed(0)} messages/s, ${report.deliveriesPerSecond.toFixed(0)} deliveries/s, ` +
          `delivery p50 ${report.latencyMs.p50.toFixed(1)} ms, p99 ${report.latencyMs.p99.toFixed(1)} ms; ` +
          `${report.violations.length === 0 ? 'every message stored and delivered exactly once' : `${report.violations.length} violations`}\n`,
      )
      if (report.violations.length > 0) process.exitCode = 1
    })
    .catch((error: unknown) => {
      process.stderr.write(`load failed: ${error instanceof Error ? error.message : String(error)}\n`)
      process.exitCode = 1
    })
}
