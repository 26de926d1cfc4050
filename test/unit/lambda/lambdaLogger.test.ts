import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runInvocation } from '../../../src/lambda/invocation.js'
import { createLambdaLogger } from '../../../src/lambda/lambdaLogger.js'
import { captureOutput } from '../../support/capturedOutput.js'

describe('createLambdaLogger', () => {
  let output: ReturnType<typeof captureOutput>
  beforeEach(() => {
    output = captureOutput()
  })
  afterEach(() => output.restore())

  describe('outside an invocation', () => {
    it('writes the event as message and the details as keys, with no request keys', () => {
      createLambdaLogger().error('config.invalid', { error: { code: 'validation.option' } })
      output.restore()
      expect(output.logs()).toEqual([
        expect.objectContaining({
          level: 'ERROR',
          message: 'config.invalid',
          error: { code: 'validation.option' },
        }),
      ])
      expect(output.logs()[0]).not.toHaveProperty('requestId')
    })

    it('keeps details under a key Powertools reserves instead of dropping them', () => {
      createLambdaLogger().warn('route.badEvent', { message: 'user text', level: 3, received: 'null' })
      output.restore()
      // One line: no "reserved key" warning of Powertools' own.
      expect(output.logs()).toEqual([
        expect.objectContaining({
          level: 'WARN',
          message: 'route.badEvent',
          received: 'null',
          details: { message: 'user text', level: 3 },
        }),
      ])
    })
  })

  describe('inside an invocation', () => {
    it("adds the route, the caller's connection id, the request ids; another connection is the target", async () => {
      const logger = createLambdaLogger()
      await runInvocation(
        { route: 'sendMessage', connectionId: 'caller=', requestId: 'req-1', lambdaRequestId: 'aws-1' },
        async () => {
          await Promise.resolve()
          logger.error('post.failed', { connectionId: 'member=', frame: 'newMessage' })
          logger.warn('message.repeated', { connectionId: 'caller=', id: 'm1' })
        },
      )
      output.restore()
      expect(output.logs()).toEqual([
        expect.objectContaining({
          message: 'post.failed',
          route: 'sendMessage',
          connectionId: 'caller=',
          targetConnectionId: 'member=',
          requestId: 'req-1',
          function_request_id: 'aws-1',
        }),
        expect.objectContaining({ message: 'message.repeated', connectionId: 'caller=', requestId: 'req-1' }),
      ])
      expect(output.logs()[1]).not.toHaveProperty('targetConnectionId')
    })

    it('keeps concurrent invocations apart', async () => {
      const logger = createLambdaLogger()
      const tick = () => new Promise((resolve) => setTimeout(resolve, 5))
      await Promise.all(
        ['a', 'b'].map((id) =>
          runInvocation({ route: 'listRooms', connectionId: `${id}=`, requestId: `req-${id}` }, async () => {
            await tick()
            logger.warn('first', {})
            await tick()
            logger.warn('second', {})
          }),
        ),
      )
      output.restore()
      const lines = output.logs()
      expect(lines).toHaveLength(4)
      for (const line of lines) expect(line.requestId).toBe(`req-${String(line.connectionId).slice(0, 1)}`)
    })
  })
})
