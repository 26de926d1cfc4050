import { execFile } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs'
import { startFauxqs } from 'fauxqs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { QueuedJob } from '../../../src/fanout/jobs.js'
import { startConnectionsFake } from '../../support/connectionsFake.js'
import { readDeployTemplate } from '../../support/deployTemplate.js'
import { dynamoEndpoint, useTestTable } from '../../support/dynamo.js'
import { type RecordedCall, startRecordingProxy } from '../../support/recordingProxy.js'
import { fixtureEvent, gatewayId } from '../../support/websocketEvents.js'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../..', import.meta.url))
const t = useTestTable()

// The fixture events' API (requestContext.apiId, stage) in a made-up account.
const account = {
  partition: 'aws',
  region: 'eu-west-1',
  id: '000000000000',
  api: 'abc123def4',
  stage: 'prod',
}
const QUEUE_NAME = 'iam-audit-fanout'

type Statement = { Sid?: string; Effect: string; Action: string[]; Resource: unknown[] }
type Template = { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> }
const { text: templateText, template } = readDeployTemplate<Template>()
const statementsOf = (fn: string) =>
  ((template.Resources[fn]?.Properties.Policies ?? []) as { Statement: Statement[] }[]).flatMap(
    (p) => p.Statement,
  )

const tableArn = (table: string) =>
  `arn:${account.partition}:dynamodb:${account.region}:${account.id}:table/${table}`
const queueArn = (name: string) => `arn:${account.partition}:sqs:${account.region}:${account.id}:${name}`

/** A policy's Resource entry as the ARN (pattern) CloudFormation would make of it in this stack. */
function resolve(value: unknown): string {
  if (typeof value === 'string') return value
  const { 'Fn::GetAtt': getAtt, 'Fn::Sub': sub } = value as { 'Fn::GetAtt'?: string; 'Fn::Sub'?: string }
  const attributes: Record<string, string> = {
    'ChatTable.Arn': tableArn(t.tableName),
    'FanOutQueue.Arn': queueArn(QUEUE_NAME),
  }
  if (getAtt !== undefined) return attributes[getAtt] ?? `unknown attribute ${getAtt}`
  const variables: Record<string, string> = {
    ...attributes,
    'AWS::Partition': account.partition,
    'AWS::Region': account.region,
    'AWS::AccountId': account.id,
    WebSocketApi: account.api,
    StageName: account.stage,
  }
  return String(sub).replace(/\$\{([^}]+)\}/g, (_, name: string) => variables[name] ?? `unknown ${name}`)
}

const glob = (pattern: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.?+^$()[\]{}|\\/]/g, '\\$&'))
      .join('.*')}$`,
  )

/** The IAM action and resource each recorded call is authorized as. */
function requirements(call: RecordedCall): { action: string; resource: string }[] {
  if (call.service === 'dynamodb') {
    // A transaction is authorized item by item, as the item's own action.
    const actions = call.transactKinds
      ? call.transactKinds.map((kind) => (kind === 'ConditionCheck' ? 'ConditionCheckItem' : `${kind}Item`))
      : call.tables.map(() => call.operation)
    return call.tables.map((table, i) => ({ action: `dynamodb:${actions[i]}`, resource: tableArn(table) }))
  }
  if (call.service === 'sqs') {
    // The batch actions are authorized as their single forms.
    const action = call.operation.replace(/Batch$/, '')
    return [{ action: `sqs:${action}`, resource: queueArn(call.queueUrl.split('/').at(-1) as string) }]
  }
  if (call.service === 'unknown') return [{ action: 'unknown', resource: `${call.method} ${call.path}` }]
  return [
    {
      action: 'execute-api:ManageConnections',
      resource: `arn:${account.partition}:execute-api:${account.region}:${account.id}:${account.api}/${account.stage}/${call.method}/@connections/${call.connectionId}`,
    },
  ]
}

function allowed(fn: string, { action, resource }: { action: string; resource: string }): boolean {
  return statementsOf(fn).some(
    (s) =>
      s.Effect === 'Allow' &&
      s.Action.some((a) => glob(a).test(action)) &&
      s.Resource.some((r) => glob(resolve(r)).test(resource)),
  )
}

/** What a call was, in a line: `Query byData`, `SendMessageBatch`, `POST @connections → 410`. */
const describeCall = (call: RecordedCall) =>
  call.service === 'dynamodb'
    ? `${call.operation}${call.indexName ? ` ${call.indexName}` : ''}`
    : call.service === 'sqs'
      ? call.operation
      : call.service === 'connections'
        ? `${call.method} @connections → ${call.status}`
        : `${call.method} ${call.path}`

let fake: Awaited<ReturnType<typeof startConnectionsFake>>
let sqs: Awaited<ReturnType<typeof startFauxqs>>
let proxy: Awaited<ReturnType<typeof startRecordingProxy>>
let queueUrl: string
const work = mkdtempSync(join(tmpdir(), 'chatdb-iam-'))

beforeAll(async () => {
  await run(process.execPath, ['scripts/build-lambda.mjs'], { cwd: root })
  fake = await startConnectionsFake()
  sqs = await startFauxqs({ port: 0, logger: false })
  const client = new SQSClient({
    endpoint: sqs.address,
    region: account.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  })
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: QUEUE_NAME }))
  client.destroy()
  proxy = await startRecordingProxy({
    dynamo: dynamoEndpoint(),
    sqs: sqs.address,
    connections: fake.endpoint,
  })
  queueUrl = proxy.queueUrl(QueueUrl as string)
})
afterAll(async () => {
  await proxy?.close()
  await fake?.close()
  await sqs?.stop()
})

/** The environment of a deployed function, but its AWS endpoints are the recording proxy. */
const lambdaEnv = () => ({
  PATH: process.env.PATH,
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_REGION: account.region,
  AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  CHATDB_TABLE: t.tableName,
  CHATDB_MANAGEMENT_ENDPOINT: proxy.endpoint,
  CHATDB_FANOUT_QUEUE_URL: queueUrl,
  CHATDB_LARGE_ROOM_THRESHOLD: '3',
  CHATDB_LARGE_ROOM_SHARDS: '2',
  // One attempt per post: a failing member's post becomes a retry job at once.
  CHATDB_MANAGEMENT_MAX_ATTEMPTS: '1',
  POWERTOOLS_METRICS_NAMESPACE: '',
})

let events = 0
async function router(steps: ReturnType<typeof fixtureEvent>[]): Promise<unknown[]> {
  proxy.label('RouterFunction')
  const file = join(work, `events-${++events}.json`)
  writeFileSync(file, JSON.stringify(steps))
  const { stdout } = await run(
    process.execPath,
    [`${root}/test/fixtures/driveRouter.mjs`, `${root}/dist/lambda/index.mjs`, file],
    { cwd: root, env: lambdaEnv() },
  )
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as unknown[]
}

/** The jobs SQS got since call `from`, as one SQS event for the worker (their delays skipped). */
function jobsSince(from: number) {
  const bodies = proxy
    .calls()
    .slice(from)
    .flatMap((call) => {
      if (call.service !== 'sqs') return []
      if (call.operation === 'SendMessage') return [String(call.body.MessageBody)]
      return (call.body.Entries as { MessageBody: string }[]).map((e) => e.MessageBody)
    })
  return {
    Records: bodies.map((body, i) => ({
      messageId: `job-${from}-${i}`,
      receiptHandle: `rh-${from}-${i}`,
      body,
      attributes: {},
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn(QUEUE_NAME),
      awsRegion: account.region,
    })),
  }
}

async function worker(event: ReturnType<typeof jobsSince>) {
  proxy.label('FanOutFunction')
  const { stdout } = await run(
    process.execPath,
    [`${root}/test/fixtures/driveFanOut.mjs`, `${root}/dist/lambda/worker.mjs`, JSON.stringify(event)],
    { cwd: root, env: lambdaEnv() },
  )
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as { batchItemFailures: unknown[] }
}

describe('IAM audit of deploy/template.yaml: the built functions, driven through small and large rooms, call only what their policies grant', () => {
  const ids = Array.from({ length: 7 }, () => gatewayId())
  const [ada, bob, cy, dee, eve, fay, gus] = ids as [string, string, string, string, string, string, string]
  const subscribe = (connectionId: string, roomName: string, userName = 'u') =>
    fixtureEvent('subscribe', {
      connectionId,
      routeKey: 'subscribe',
      body: { action: 'subscribe', roomName, userName },
    })
  const send = (connectionId: string, roomName: string, message: string) =>
    fixtureEvent('sendMessage', {
      connectionId,
      routeKey: 'sendMessage',
      body: { action: 'sendMessage', roomName, message },
    })
  const unsubscribe = (connectionId: string, roomName: string) =>
    fixtureEvent('unsubscribe', {
      connectionId,
      routeKey: 'unsubscribe',
      body: { action: 'unsubscribe', roomName },
    })
  const disconnect = (connectionId: string) => fixtureEvent('disconnect', { connectionId })

  it('records every DynamoDB, SQS and @connections call of the router and the fan-out worker and finds each granted', async () => {
    // The router: a small room; a room crossing the threshold (3) and a large subscribe after;
    // messages in both; leaving each; $disconnect from a large room; a room listing.
    const first = await router([
      ...ids.map((connectionId) => fixtureEvent('connect', { connectionId })),
      subscribe(ada, 'lobby'),
      subscribe(cy, 'lobby'),
      // cy alone: when the worker removes cy (gone), this room empties (its listing changes).
      subscribe(cy, 'den'),
      send(ada, 'lobby', 'small room'),
      subscribe(ada, 'big'),
      subscribe(bob, 'big'),
      subscribe(cy, 'big'),
      subscribe(dee, 'big'),
      subscribe(eve, 'big'),
      subscribe(gus, 'big'),
      send(ada, 'big', 'large room'),
      fixtureEvent('listRooms', { connectionId: fay, body: { action: 'listRooms' } }),
      unsubscribe(bob, 'big'),
      disconnect(gus),
    ])
    const errors = ids.flatMap((id) => fake.framesFor(id).filter((f) => f.type === 'error'))
    expect({ first, errors }).toEqual({ first: first.map(() => 200), errors: [] })

    // The worker: the router's jobs, where one member is gone (410: it is removed, with its
    // small room's upkeep) and one fails (its post becomes a retry job).
    fake.markGone(cy)
    fake.markFailing(dee)
    const beforeWorker = proxy.calls().length
    const routerJobs = jobsSince(0)
    // Shard jobs of the large room's broadcasts and a trailing roomStats (the count changed
    // after the first roomStats of its interval).
    const kinds = routerJobs.Records.map((r) => (JSON.parse(r.body) as QueuedJob).kind)
    expect(new Set(kinds)).toEqual(new Set(['shard', 'roomStats']))
    expect((await worker(routerJobs)).batchItemFailures).toEqual([])
    // The retry job fails again: its record goes back to SQS (batchItemFailures).
    const retries = jobsSince(beforeWorker)
    const retryIds = retries.Records.filter((r) => (JSON.parse(r.body) as QueuedJob).kind === 'retry').map(
      (r) => r.messageId,
    )
    expect(retryIds).not.toEqual([])
    const { batchItemFailures } = (await worker(retries)) as {
      batchItemFailures: { itemIdentifier: string }[]
    }
    expect(batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(retryIds.sort())

    // The router again: a small room's broadcast meets a gone member; leaving a small room; the
    // last ones disconnect.
    expect(await router([subscribe(fay, 'lobby')])).toEqual([200])
    fake.markGone(fay)
    const last = await router([
      send(ada, 'lobby', 'after'),
      unsubscribe(ada, 'lobby'),
      disconnect(ada),
      disconnect(dee),
    ])
    expect(last).toEqual([200, 200, 200, 200])

    const calls = proxy.calls()
    const byFunction = (fn: string) => calls.filter((c) => c.label === fn)
    const seen = (fn: string) => [...new Set(byFunction(fn).map(describeCall))].sort()
    // The scenario reached what it is about (else the audit would prove little).
    const dynamoCalls = [
      'BatchGetItem',
      'BatchWriteItem',
      'DeleteItem',
      'GetItem',
      'PutItem',
      'Query',
      'Query byData',
      'UpdateItem',
    ]
    expect(seen('RouterFunction')).toEqual(
      expect.arrayContaining([
        ...dynamoCalls,
        'POST @connections → 200',
        'POST @connections → 410',
        'SendMessageBatch',
      ]),
    )
    expect(seen('FanOutFunction')).toEqual(
      expect.arrayContaining([
        ...dynamoCalls,
        'POST @connections → 200',
        'POST @connections → 410',
        'POST @connections → 500',
        'SendMessageBatch',
      ]),
    )
    const denied = calls.flatMap((call) =>
      requirements(call)
        .filter((need) => !allowed(call.label, need))
        .map((need) => `${call.label}: ${need.action} on ${need.resource} (${describeCall(call)})`),
    )
    expect([...new Set(denied)]).toEqual([])

    // Least privilege: each action a statement grants is called on each of its resources (the
    // index only by index reads), or the template says why it is there, in a comment above the
    // statement naming it (e.g. the event source mapping polls the queue as the worker).
    const unexplained: string[] = []
    for (const fn of ['RouterFunction', 'FanOutFunction']) {
      const used = byFunction(fn).flatMap(requirements)
      for (const statement of statementsOf(fn)) {
        const comment = commentAbove(fn, statement.Sid as string)
        for (const action of statement.Action) {
          for (const resource of statement.Resource.map(resolve)) {
            const called = used.some((u) => u.action === action && glob(resource).test(u.resource))
            if (!called && !comment.includes(action)) {
              unexplained.push(`${fn} (${statement.Sid}): ${action} on ${resource}`)
            }
          }
        }
      }
    }
    expect(unexplained).toEqual([])
  }, 60_000)
})

/** The comment lines right above `- Sid: <sid>` in the function's resource of the template. */
function commentAbove(fn: string, sid: string): string {
  const lines = templateText.split('\n')
  const start = lines.indexOf(`  ${fn}:`)
  const at = lines.findIndex((line, i) => i > start && line.trim() === `- Sid: ${sid}`)
  const comment: string[] = []
  for (let i = at - 1; i > start && lines[i]?.trim().startsWith('#'); i--) comment.unshift(lines[i] as string)
  return comment.join('\n')
}
