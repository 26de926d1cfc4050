import { describe, expect, it } from 'vitest'
import { createRequestLimits, tooManyRequestsFrame } from '../../../cli/gateway/requestLimits.js'

function fakeClock() {
  let at = 0
  return { now: () => at, advance: (ms: number) => (at += ms) }
}

const kinds = (admissions: { kind: string }[]) => admissions.map((a) => a.kind)

describe('createRequestLimits', () => {
  it('shares the account budget between route requests and @connections calls', () => {
    const clock = fakeClock()
    const limits = createRequestLimits({ account: { rate: 20, burst: 10 }, stage: 'off', now: clock.now })
    for (let i = 0; i < 6; i++) expect(limits.admitRoute('sendMessage').kind).toBe('admitted')
    const calls = Array.from({ length: 6 }, () => limits.admitManagementCall())
    expect(calls.filter(Boolean)).toHaveLength(4)
    expect(limits.admitRoute('$connect')).toEqual({ kind: 'throttled', by: 'account' })
    clock.advance(50)
    expect(limits.admitManagementCall()).toBe(true)
    expect(limits.throttled()).toEqual({ routes: { $connect: 1 }, managementCalls: 2 })
  })

  it('gives each route its own stage bucket, which @connections calls do not touch', () => {
    const clock = fakeClock()
    const limits = createRequestLimits({ account: 'off', stage: { rate: 1, burst: 3 }, now: clock.now })
    const sends = Array.from({ length: 5 }, () => limits.admitRoute('sendMessage'))
    expect(kinds(sends)).toEqual(['admitted', 'admitted', 'admitted', 'throttled', 'throttled'])
    expect(sends[4]).toEqual({ kind: 'throttled', by: 'stage' })
    expect(kinds(Array.from({ length: 3 }, () => limits.admitRoute('listRooms')))).toEqual([
      'admitted',
      'admitted',
      'admitted',
    ])
    for (let i = 0; i < 100; i++) expect(limits.admitManagementCall()).toBe(true)
    clock.advance(1_000)
    expect(limits.admitRoute('sendMessage').kind).toBe('admitted')
    expect(limits.throttled().routes).toEqual({ sendMessage: 2 })
  })

  it('takes no account token for a request its route refuses, nor a route token for one the account refuses', () => {
    const clock = fakeClock()
    const limits = createRequestLimits({
      account: { rate: 1, burst: 2 },
      stage: { rate: 1, burst: 1 },
      now: clock.now,
    })
    expect(limits.admitRoute('sendMessage').kind).toBe('admitted')
    expect(limits.admitRoute('sendMessage')).toEqual({ kind: 'throttled', by: 'stage' })
    // The stage's refusal left the account's second token for another route.
    expect(limits.admitRoute('subscribe').kind).toBe('admitted')
    expect(limits.admitRoute('listRooms')).toEqual({ kind: 'throttled', by: 'account' })
    clock.advance(1_000)
    // listRooms' own bucket is still full: the account refusal took none of it.
    expect(limits.admitRoute('listRooms').kind).toBe('admitted')
  })

  it("defaults to AWS's account quota and the template's stage throttle", () => {
    const limits = createRequestLimits({ now: () => 0 })
    const sends = Array.from({ length: 600 }, () => limits.admitRoute('sendMessage'))
    expect(kinds(sends).filter((k) => k === 'admitted')).toHaveLength(500)
    const calls = Array.from({ length: 5_000 }, () => limits.admitManagementCall())
    expect(calls.filter(Boolean)).toHaveLength(4_500)
  })

  it('refuses a bad throttle when created, naming it, before any route has a bucket', () => {
    expect(() => createRequestLimits({ stage: { rate: 0, burst: 1 } })).toThrow(
      expect.objectContaining({
        code: 'validation.option',
        message: 'stage.rate must be a positive number (got 0)',
      }),
    )
    expect(() => createRequestLimits({ account: { rate: 1, burst: 0.5 } })).toThrow(
      'account.burst must be a whole number ≥ 1 (got 0.5)',
    )
    expect(() => createRequestLimits({ account: 'off', stage: 'off' })).not.toThrow()
  })

  it('turns either limit off', () => {
    const limits = createRequestLimits({ account: 'off', stage: 'off', now: () => 0 })
    for (let i = 0; i < 20_000; i++) expect(limits.admitRoute('sendMessage').kind).toBe('admitted')
    expect(limits.throttled()).toEqual({ routes: {}, managementCalls: 0 })
  })

  it('logs at most one line a second, counting what it refused since the last', () => {
    const clock = fakeClock()
    const lines: string[] = []
    const limits = createRequestLimits({
      account: { rate: 0.5, burst: 1 },
      stage: 'off',
      log: (line) => lines.push(line),
      now: clock.now,
    })
    limits.admitManagementCall()
    for (let i = 0; i < 3; i++) limits.admitManagementCall()
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^throttled 1 request\(s\)/)
    clock.advance(999)
    limits.admitRoute('sendMessage')
    clock.advance(1)
    limits.admitRoute('sendMessage')
    expect(lines).toHaveLength(2)
    expect(lines[1]).toMatch(
      /^throttled 4 request\(s\), the last a sendMessage request over the account limit/,
    )
  })
})

describe('tooManyRequestsFrame', () => {
  it("is API Gateway's error frame with the connection and request ids", () => {
    expect(JSON.parse(tooManyRequestsFrame('c1=', 'r1='))).toEqual({
      message: 'Too Many Requests',
      connectionId: 'c1=',
      requestId: 'r1=',
    })
  })
})
