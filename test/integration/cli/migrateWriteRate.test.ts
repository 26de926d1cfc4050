import { existsSync } from 'node:fs'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createChatRepository } from '../../../src/repository/chatRepository.js'
import { CLI_MAIN, runCli } from '../../support/cli.js'
import { createTestTable, useTestTable } from '../../support/dynamo.js'
import { type DynamoProxy, startDynamoProxy } from '../../support/dynamoProxy.js'

interface Report {
  results: {
    name: string
    outcome: string
    writeRate: {
      maxWcu?: number
      consumedWcu: number
      limiterWaitMs: number
      throttled: number
      backoffMs: number
    }
  }[]
}

/** A proxy that answers the first `count` BatchWriteItem requests with a throttling error. */
function throttleFirstBatchWrites(count: number) {
  return startDynamoProxy((operation, body, index) =>
    operation === 'BatchWriteItem' && index < count
      ? { fail: 'ProvisionedThroughputExceededException' }
      : { forward: body },
  )
}

describe('chatdb migrate --max-wcu', () => {
  const t = useTestTable()
  let table: string
  let proxy: DynamoProxy | undefined

  beforeAll(async () => {
    expect(existsSync(CLI_MAIN), 'the CLI is built (npm test builds it)').toBe(true)
    table = await createTestTable(t.documentClient, 'wcu')
    const repo = createChatRepository({ documentClient: t.documentClient, tableName: table })
    await repo.subscribe({ roomName: 'general', connectionId: 'AAAAAAAAAAAAAAA=', userName: 'ada' })
    // 20 messages: one chunk of writes, so the throttled requests are that chunk's, in order.
    for (let i = 0; i < 20; i++)
      await repo.postMessage({ roomName: 'general', connectionId: 'AAAAAAAAAAAAAAA=', message: `m${i}` })
  })
  afterEach(async () => {
    await proxy?.close()
    proxy = undefined
  })

  it('refuses a --max-wcu that is not a positive number: a usage error, exit 2, nothing run', async () => {
    for (const value of ['0', '-3', 'lots']) {
      const run = await runCli(['migrate', 'up', '--yes', '--max-wcu', value], { table })
      expect(run.code).toBe(2)
      // "must be a positive number", or yargs' own check of a number option: "must be a number"
      expect(run.stderr).toMatch(/cli\.usage: --max-wcu must be a (positive )?number/)
    }
    const status = await runCli(['migrate', 'status', '--json'], { table })
    const states = status.json<{ migrations: { state: string }[] }>().migrations.map((m) => m.state)
    expect(states.length).toBeGreaterThanOrEqual(3)
    expect(new Set(states)).toEqual(new Set(['pending']))
  })

  it('backs off from throttling and reports it: in the summary line, then in --json', async () => {
    expect((await runCli(['migrate', 'up', '--to', '1', '--yes'], { table })).code).toBe(0)
    // The CLI's SDK client makes 2 attempts: 2 throttled requests are one throttle that
    // outlived them, which the migrator backs off from and retries.
    proxy = await throttleFirstBatchWrites(2)
    const env = { AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint }
    const up = await runCli(['migrate', 'up', '--to', '2', '--yes', '--segments', '1', '--max-wcu', '1000'], {
      table,
      env,
    })
    expect(up.code, up.stderr).toBe(0)
    expect(up.stdout).toMatch(/002_message-retention: applied/)
    expect(up.stdout).toMatch(
      /writes: 40 WCU \(\d+ WCU\/s\); limit 1000 WCU\/s, held back 0\.0 s; throttled 1×, waited \d+\.\d s/,
    )
    expect(up.stdout).toMatch(
      /002_message-retention: throttled 1×, waited \d+\.\d s so far, backing off and retrying/,
    )
    expect(proxy.counts().BatchWriteItem).toBe(3)
    await proxy.close()

    proxy = await throttleFirstBatchWrites(2)
    const down = await runCli(['migrate', 'down', '--to', '1', '--yes', '--segments', '1', '--json'], {
      table,
      env: { AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint },
    })
    expect(down.code, down.stderr).toBe(0)
    const [result] = down.json<Report>().results
    expect(result?.outcome).toBe('rolled-back')
    expect(result?.writeRate).toMatchObject({ consumedWcu: 40, throttled: 1, limiterWaitMs: 0 })
    expect(result?.writeRate.backoffMs).toBeGreaterThanOrEqual(250)
  })
})
