import { describe, expect, it } from 'vitest'
import { createJsonLogger } from '../../../src/log/jsonLogger.js'
import { createChatService } from '../../../src/service/chatService.js'
import { useTestTable } from '../../support/dynamo.js'
import { injectDynamoFaults } from '../../support/faults.js'
import { createRecordingBroadcaster } from '../../support/recordingBroadcaster.js'

const t = useTestTable()

function setup(repositoryOptions = {}, logLines: string[] = []) {
  const broadcaster = createRecordingBroadcaster()
  const service = createChatService({
    repository: t.repository(repositoryOptions),
    broadcaster,
    logger: createJsonLogger((line) => logLines.push(line)),
  })
  const send = (connectionId: string, frame: unknown) =>
    service.receive(
      { connectionId, requestId: `r-${Math.random().toString(36).slice(2)}` },
      JSON.stringify(frame),
    )
  return { service, broadcaster, send }
}

describe('authorization and abuse', () => {
  it('takes the connection id only from the request context, never from the frame', async () => {
    const { broadcaster, send } = setup()
    await send('victim', { action: 'subscribe', roomName: 'auth-1', userName: 'victim' })
    broadcaster.clear()
    t.counter.reset()
    const outcome = await send('attacker', {
      action: 'unsubscribe',
      roomName: 'auth-1',
      connectionId: 'victim',
    })
    expect(outcome.statusCode).toBe(400)
    expect(broadcaster.framesFor('attacker')[0]).toMatchObject({ type: 'error', statusCode: 400 })
    expect(t.counter.total()).toBe(0)
    expect(await t.repository().connectionsInRoom('auth-1')).toHaveLength(1)
  })

  it("lets a connection act only on its own subscriptions: another's unsubscribe changes nothing", async () => {
    const { broadcaster, send } = setup()
    await send('owner', { action: 'subscribe', roomName: 'auth-2', userName: 'owner' })
    broadcaster.clear()
    await send('stranger', { action: 'unsubscribe', roomName: 'auth-2' })
    expect(broadcaster.framesFor('owner')).toEqual([])
    expect((await t.repository().connectionsInRoom('auth-2')).map((c) => c.connectionId)).toEqual(['owner'])
  })

  it('refuses a non-member posting to a room, and never sends it the room traffic', async () => {
    const { broadcaster, send } = setup()
    await send('member', { action: 'subscribe', roomName: 'auth-3', userName: 'member' })
    broadcaster.clear()
    t.counter.reset()
    expect(
      (await send('outsider', { action: 'sendMessage', roomName: 'auth-3', message: 'let me in' }))
        .statusCode,
    ).toBe(400)
    expect(t.counter.writes()).toBe(0)
    await send('member', { action: 'sendMessage', roomName: 'auth-3', message: 'members only' })
    expect(broadcaster.framesFor('outsider').filter((f) => f.type !== 'error')).toEqual([])
    expect(broadcaster.framesFor('member').map((f) => f.type)).toEqual(['newMessage'])
  })

  it('binds the user name at subscribe time: a later subscribe cannot rename, messages carry the bound name', async () => {
    const { broadcaster, send } = setup()
    await send('bound', { action: 'subscribe', roomName: 'auth-4', userName: 'ada' })
    await send('bound', { action: 'subscribe', roomName: 'auth-4', userName: 'admin' })
    broadcaster.clear()
    await send('bound', { action: 'sendMessage', roomName: 'auth-4', message: 'who am I' })
    expect(broadcaster.framesFor('bound')).toEqual([
      expect.objectContaining({ type: 'newMessage', message: expect.objectContaining({ userName: 'ada' }) }),
    ])
  })

  it('caps the rooms per connection with a 400', async () => {
    const { broadcaster, send } = setup({ maxRoomsPerConnection: 2 })
    await send('greedy', { action: 'subscribe', roomName: 'auth-5a', userName: 'g' })
    await send('greedy', { action: 'subscribe', roomName: 'auth-5b', userName: 'g' })
    broadcaster.clear()
    expect(
      (await send('greedy', { action: 'subscribe', roomName: 'auth-5c', userName: 'g' })).statusCode,
    ).toBe(400)
    expect(broadcaster.framesFor('greedy')).toEqual([
      expect.objectContaining({
        type: 'error',
        statusCode: 400,
        action: 'subscribe',
        message: expect.stringMatching(/at most 2 rooms/),
      }),
    ])
  })

  it('caps the subscribers of a room with a 400', async () => {
    const { broadcaster, send } = setup({ maxSubscribersPerRoom: 1 })
    await send('first', { action: 'subscribe', roomName: 'auth-6', userName: 'a' })
    expect(
      (await send('second', { action: 'subscribe', roomName: 'auth-6', userName: 'b' })).statusCode,
    ).toBe(400)
    expect(broadcaster.framesFor('second')[0]).toMatchObject({ type: 'error', statusCode: 400 })
    expect(await t.repository().connectionsInRoom('auth-6')).toHaveLength(1)
  })

  it('never lets user text forge a log line', async () => {
    const lines: string[] = []
    const faulty = injectDynamoFaults(t.documentClient, {
      rate: 1,
      faults: ['internal'],
      operations: ['Query'],
    })
    try {
      const { send } = setup({}, lines)
      const forged = 'hi\n{"level":"error","event":"admin.login","user":"root"}\r\nx'
      await send('logger', { action: 'sendMessage', roomName: 'auth-7', message: forged })
    } finally {
      faulty.stop()
    }
    expect(lines.length).toBeGreaterThan(0)
    for (const line of lines) {
      expect(line).not.toMatch(/[\n\r]/)
      expect(JSON.parse(line)).toMatchObject({ level: 'error' })
    }
    expect(lines.some((l) => JSON.parse(l).event === 'admin.login')).toBe(false)
  })
})
