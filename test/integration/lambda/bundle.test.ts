import { execFile } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startConnectionsFake } from '../../support/connectionsFake.js'
import { dynamoEndpoint, useTestTable } from '../../support/dynamo.js'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../..', import.meta.url))
const t = useTestTable()
let fake: Awaited<ReturnType<typeof startConnectionsFake>>

beforeAll(async () => {
  await run(process.execPath, ['scripts/build-lambda.mjs'], { cwd: root })
  fake = await startConnectionsFake()
})
afterAll(() => fake?.close())

describe('the bundled Lambda (npm run build:lambda)', () => {
  it('is one minified file with a source map', () => {
    const bundle = statSync(`${root}/dist/lambda/index.mjs`)
    expect(bundle.size).toBeGreaterThan(100_000)
    expect(bundle.size).toBeLessThan(3_000_000)
    expect(statSync(`${root}/dist/lambda/index.mjs.map`).size).toBeGreaterThan(0)
    expect(JSON.parse(readFileSync(`${root}/dist/lambda/package.json`, 'utf8'))).toMatchObject({
      type: 'module',
    })
  })

  it('handles the fixture event of every route in a fresh Node process against dynalite', async () => {
    const { stdout, stderr } = await run(
      process.execPath,
      [`${root}/test/fixtures/driveBundle.mjs`, `${root}/dist/lambda/index.mjs`, `${root}/fixtures/events`],
      {
        cwd: root,
        env: {
          PATH: process.env.PATH,
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          AWS_REGION: 'eu-west-1',
          AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint(),
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          CHATDB_TABLE: t.tableName,
          CHATDB_MANAGEMENT_ENDPOINT: fake.endpoint,
          POWERTOOLS_METRICS_NAMESPACE: 'chatdbBundle',
        },
      },
    )
    expect(stderr).not.toMatch(/NodeVersionSupportWarning|Error/)
    const results = JSON.parse(stdout.trim().split('\n').at(-1) as string) as {
      name: string
      statusCode: unknown
    }[]
    expect(results).toEqual([
      { name: 'connect', statusCode: 200 },
      { name: 'subscribe', statusCode: 200 },
      { name: 'sendMessage', statusCode: 200 },
      { name: 'listRooms', statusCode: 200 },
      // An unknown action: the caller got a 400 error frame, and the route says so.
      { name: 'default', statusCode: 400 },
      { name: 'unsubscribe', statusCode: 200 },
      { name: 'disconnect', statusCode: 200 },
      { name: 'per-route handlers', statusCode: 7 },
    ])
    // Powertools, bundled: one EMF record per invocation on stdout, in the order of the routes.
    const records = stdout
      .trim()
      .split('\n')
      .slice(0, -1)
      .map(
        (line) =>
          JSON.parse(line) as { _aws?: { CloudWatchMetrics: { Namespace: string }[] }; route?: string },
      )
      .filter((line) => line._aws !== undefined)
    expect(records.map((r) => [r._aws?.CloudWatchMetrics[0]?.Namespace, r.route])).toEqual(
      ['$connect', 'subscribe', 'sendMessage', 'listRooms', '$default', 'unsubscribe', '$disconnect'].map(
        (route) => ['chatdbBundle', route],
      ),
    )
    const frames = fake.framesFor('Xk3a9cD1oAMCJzQ=')
    expect(frames.map((f) => f.type)).toEqual(
      expect.arrayContaining(['subscribed', 'newMessage', 'roomList', 'error', 'unsubscribed']),
    )
  })
})
