import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { MAX_INCOMING_FRAME_BYTES } from '../../../src/protocol/actions.js'
import type { ServerFrame } from '../../../src/protocol/frames.js'
import { type ChatService, createChatService } from '../../../src/service/chatService.js'
import { limits } from '../../../src/validation.js'
import { useTestTable } from '../../support/dynamo.js'
import { createRecordingBroadcaster } from '../../support/recordingBroadcaster.js'

const t = useTestTable()
const broadcaster = createRecordingBroadcaster()
const logged: string[] = []
let service: ChatService
const MEMBER = 'fuzz-member'
const ROOMS = ['general', 'random', 'true', 'ünïcödé 🎉']

beforeAll(async () => {
  service = createChatService({
    repository: t.repository(),
    broadcaster,
    logger: {
      error: (event, details) => logged.push(JSON.stringify({ event, details })),
      warn: () => {},
    },
  })
  for (const roomName of ROOMS) {
    await service.receive(
      { connectionId: MEMBER },
      JSON.stringify({ action: 'subscribe', roomName, userName: 'member' }),
    )
  }
})

// ---- generators -------------------------------------------------------------------------

/** Any code point except the key delimiter, control characters, surrogates and what SQS refuses (U+FFFE, U+FFFF). */
const nameChar = fc
  .oneof(
    { weight: 5, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
    { weight: 2, arbitrary: fc.integer({ min: 0xa0, max: 0xd7ff }) },
    { weight: 1, arbitrary: fc.integer({ min: 0xe000, max: 0x10ffff }) },
  )
  .filter((cp) => cp !== 0x7c && !(cp >= 0xfdd0 && cp <= 0xfdef) && cp !== 0xfffe && cp !== 0xffff)
  .map((cp) => String.fromCodePoint(cp))
const name = (max: number) => fc.array(nameChar, { minLength: 1, maxLength: max }).map((cs) => cs.join(''))
const text = fc
  .array(fc.oneof(nameChar, fc.constantFrom('|', '\n', '\t', '\r\n')), { minLength: 1, maxLength: 300 })
  .map((cs) => cs.join(''))
  // A message of only whitespace is a 400 (docs/protocol.md).
  .filter((message) => message.trim() !== '')

const validFrame = fc.oneof(
  fc.record({
    action: fc.constant('subscribe'),
    roomName: name(limits.roomName),
    userName: name(limits.userName),
  }),
  fc.record({ action: fc.constant('unsubscribe'), roomName: name(limits.roomName) }),
  fc.record({ action: fc.constant('sendMessage'), roomName: fc.constantFrom(...ROOMS), message: text }),
  fc.constant({ action: 'listRooms' }),
)

const control = fc.integer({ min: 0, max: 0x1f }).map((cp) => String.fromCodePoint(cp))
const badName = (max: number) =>
  fc.oneof(
    fc.constant(''),
    fc.tuple(name(20), name(20)).map(([a, b]) => `${a}|${b}`),
    fc.tuple(name(20), control, name(20)).map(([a, c, b]) => `${a}${c}${b}`),
    fc.integer({ min: max + 1, max: max + 500 }).map((n) => 'x'.repeat(n)),
    fc.constant('\ud800lone surrogate'),
  )
const wrongType = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
)
const nested = (depth: number) => {
  let value: unknown = 'bottom'
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { deeper: value }
  return value
}

/** Frames that are invalid by construction, with what makes them so. */
const invalidFrame: fc.Arbitrary<string> = fc.oneof(
  // not JSON at all
  fc.string({ maxLength: 50 }).filter((s) => {
    try {
      JSON.parse(s)
      return false
    } catch {
      return true
    }
  }),
  // JSON, but not an object
  fc
    .oneof(fc.integer(), fc.string(), fc.constant(null), fc.array(fc.integer()))
    .map((v) => JSON.stringify(v)),
  // no action, or an unknown one, or an action of the wrong type
  fc.record({ roomName: name(10) }).map((v) => JSON.stringify(v)),
  fc
    .string({ maxLength: 20 })
    .filter((a) => !['subscribe', 'unsubscribe', 'sendMessage', 'listRooms'].includes(a))
    .map((action) => JSON.stringify({ action, roomName: 'general' })),
  wrongType.map((action) => JSON.stringify({ action, roomName: 'general' })),
  // bad names and messages
  badName(limits.roomName).map((roomName) =>
    JSON.stringify({ action: 'subscribe', roomName, userName: 'ada' }),
  ),
  badName(limits.userName).map((userName) =>
    JSON.stringify({ action: 'subscribe', roomName: 'general', userName }),
  ),
  badName(limits.roomName).map((roomName) => JSON.stringify({ action: 'unsubscribe', roomName })),
  fc
    .oneof(
      fc.constant(''),
      fc.integer({ min: limits.message + 1, max: limits.message + 100 }).map((n) => 'm'.repeat(n)),
    )
    .map((message) => JSON.stringify({ action: 'sendMessage', roomName: 'general', message })),
  // wrong types and missing fields
  wrongType.map((roomName) => JSON.stringify({ action: 'subscribe', roomName, userName: 'ada' })),
  wrongType.map((message) => JSON.stringify({ action: 'sendMessage', roomName: 'general', message })),
  fc.constant(JSON.stringify({ action: 'subscribe', roomName: 'general' })),
  fc.constant(JSON.stringify({ action: 'sendMessage', message: 'hi' })),
  // extra keys, prototype pollution, deep nesting
  fc
    .constantFrom('__proto__', 'constructor', 'prototype', 'admin', 'connectionId')
    .map((key) => `{"action":"listRooms","${key}":{"polluted":true,"prototype":{"polluted":true}}}`),
  fc
    .integer({ min: 10, max: 2_000 })
    .map((depth) => JSON.stringify({ action: 'listRooms', nested: nested(depth) })),
  fc
    .integer({ min: 10, max: 2_000 })
    .map((depth) => JSON.stringify({ action: 'subscribe', roomName: nested(depth), userName: 'x' })),
  // oversized frames
  fc
    .integer({ min: MAX_INCOMING_FRAME_BYTES + 1, max: MAX_INCOMING_FRAME_BYTES + 4_096 })
    .map((n) => JSON.stringify({ action: 'sendMessage', roomName: 'general', message: 'x'.repeat(n) })),
)

// ---- properties -------------------------------------------------------------------------

let sequence = 0
async function deliver(body: string, connectionId = `fuzz-${++sequence}`) {
  sequence++
  broadcaster.clear()
  t.counter.reset()
  const outcome = await service.receive(
    { connectionId, requestId: `req-${sequence}`, requestTimeEpoch: Date.now() },
    body,
  )
  return { outcome, frames: broadcaster.framesFor(connectionId) as ServerFrame[], connectionId }
}

describe('fuzzed frames', () => {
  it('answers 9,000 invalid frames with one 400 error frame each and no write', async () => {
    await fc.assert(
      fc.asyncProperty(invalidFrame, async (body) => {
        const { outcome, frames } = await deliver(body)
        expect(outcome.statusCode).toBe(400)
        expect(frames).toHaveLength(1)
        expect(frames[0]).toMatchObject({ type: 'error', statusCode: 400, error: 'Bad Request' })
        expect(typeof (frames[0] as { message?: unknown }).message).toBe('string')
        expect(t.counter.total()).toBe(0)
      }),
      { numRuns: 9_000, seed: 20261125 },
    )
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(logged).toEqual([])
  })

  it('serves 1,000 valid frames without a single error frame', async () => {
    const answer = {
      subscribe: 'subscribed',
      unsubscribe: 'unsubscribed',
      listRooms: 'roomList',
      sendMessage: 'newMessage',
    }
    await fc.assert(
      fc.asyncProperty(validFrame, async (frame) => {
        // Messages come from the member of every room; everything else from a fresh connection.
        const { outcome, frames } = await deliver(
          JSON.stringify(frame),
          frame.action === 'sendMessage' ? MEMBER : undefined,
        )
        expect(outcome.statusCode).toBe(200)
        expect(frames.filter((f) => f.type === 'error')).toEqual([])
        expect(frames.map((f) => f.type)).toContain(answer[frame.action])
      }),
      { numRuns: 1_000, seed: 7 },
    )
    expect(logged).toEqual([])
  })
})
