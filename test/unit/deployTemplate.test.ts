import { describe, expect, it } from 'vitest'
import { TEMPLATE_STAGE_THROTTLE } from '../../cli/gateway/requestLimits.js'
import { worstCaseCallMs } from '../../src/client.js'
import { fromEnvironment } from '../../src/config/fromEnvironment.js'
import {
  DEFAULT_LARGE_ROOM_SHARDS,
  DEFAULT_LARGE_ROOM_THRESHOLD,
  DEFAULT_POST_CONCURRENCY,
} from '../../src/config/settings.js'
import { MAX_SUBSCRIPTION_SHARDS } from '../../src/keys.js'
import { DEFAULT_ROOM_STATS_INTERVAL_MS } from '../../src/service/chatService.js'
import { DATA_INDEX, tableDefinition } from '../../src/table.js'
import { readDeployTemplate } from '../support/deployTemplate.js'

type Resource = { Type: string; Properties: Record<string, unknown> }
const { template } = readDeployTemplate<{
  Resources: Record<string, Resource>
  Mappings: Record<string, Record<string, Record<string, unknown>>>
  Outputs: Record<string, unknown>
  Globals: { Function: { Runtime: string; Timeout: number } }
  Parameters: Record<
    string,
    {
      Default?: unknown
      AllowedPattern?: string
      AllowedValues?: unknown[]
      MinValue?: number
      MaxValue?: number
    }
  >
}>()

const resources = Object.entries(template.Resources)
const ofType = (type: string) => resources.filter(([, r]) => r.Type === type).map(([, r]) => r)
const resource = (name: string): Resource => {
  const found = template.Resources[name]
  if (!found) throw new Error(`no resource ${name} in the template`)
  return found
}
type Statement = { Sid?: string; Action: string[]; Resource: unknown[] }
const statementsOf = (name: string): Statement[] =>
  (resource(name).Properties.Policies as { Statement: Statement[] }[]).flatMap((p) => p.Statement)
/** Every action a function's policies allow, each with the resources it is allowed on. */
const grants = (name: string) => {
  const all: Record<string, unknown[]> = {}
  for (const s of statementsOf(name)) {
    for (const action of s.Action) all[action] = [...(all[action] ?? []), ...s.Resource]
  }
  return Object.fromEntries(Object.entries(all).sort(([a], [b]) => a.localeCompare(b)))
}
const variablesOf = (name: string) =>
  (resource(name).Properties.Environment as { Variables: Record<string, unknown> }).Variables
const queueArn = { 'Fn::GetAtt': 'FanOutQueue.Arn' }
const tableArn = { 'Fn::GetAtt': 'ChatTable.Arn' }
const indexArn = { 'Fn::Sub': `\${ChatTable.Arn}/index/${DATA_INDEX}` }
// Items are read and written on the table; the index is only queried.
const tableResources = [tableArn]

describe('deploy/template.yaml', () => {
  it('declares the table exactly as tableDefinition does, with TTL, PITR and on-demand billing', () => {
    const [table] = ofType('AWS::DynamoDB::Table')
    const definition = tableDefinition('chat')
    expect(table?.Properties.KeySchema).toEqual(definition.KeySchema)
    expect(table?.Properties.GlobalSecondaryIndexes).toEqual(definition.GlobalSecondaryIndexes)
    const sortByName = (defs: unknown) =>
      [...(defs as { AttributeName: string }[])].sort((a, b) =>
        a.AttributeName.localeCompare(b.AttributeName),
      )
    expect(sortByName(table?.Properties.AttributeDefinitions)).toEqual(
      sortByName(definition.AttributeDefinitions),
    )
    expect(table?.Properties.BillingMode).toBe(definition.BillingMode)
    expect(table?.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true })
    expect(table?.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true })
    expect(table?.Properties.DeletionProtectionEnabled).toEqual({ Ref: 'DeletionProtection' })
  })

  it('routes on $request.body.action with the seven routes', () => {
    const [api] = ofType('AWS::ApiGatewayV2::Api')
    expect(api?.Properties).toMatchObject({
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: '$request.body.action',
    })
    const routeKeys = ofType('AWS::ApiGatewayV2::Route').map((r) => r.Properties.RouteKey)
    expect(routeKeys.sort()).toEqual(
      ['$connect', '$default', '$disconnect', 'listRooms', 'sendMessage', 'subscribe', 'unsubscribe'].sort(),
    )
    expect(ofType('AWS::ApiGatewayV2::Stage')).toHaveLength(1)
  })

  it('throttles each route with StageThrottleRate/StageThrottleBurst, whose defaults the local gateway enforces', () => {
    const [stage] = ofType('AWS::ApiGatewayV2::Stage')
    expect(stage?.Properties.DefaultRouteSettings).toMatchObject({
      ThrottlingRateLimit: { Ref: 'StageThrottleRate' },
      ThrottlingBurstLimit: { Ref: 'StageThrottleBurst' },
    })
    // No route of its own: every route gets the default, as the local gateway applies it.
    expect(stage?.Properties.RouteSettings).toBeUndefined()
    expect(template.Parameters.StageThrottleRate?.Default).toBe(TEMPLATE_STAGE_THROTTLE.rate)
    expect(template.Parameters.StageThrottleBurst?.Default).toBe(TEMPLATE_STAGE_THROTTLE.burst)
  })

  it('runs the router on nodejs22.x', () => {
    expect(template.Globals.Function.Runtime).toBe('nodejs22.x')
    const [fn] = ofType('AWS::Serverless::Function')
    expect(fn?.Properties.Handler).toBe('index.handler')
    expect(fn?.Properties.Environment).toEqual({
      Variables: expect.objectContaining({
        CHATDB_TABLE: { Ref: 'ChatTable' },
        CHATDB_MESSAGE_RETENTION_DAYS: { Ref: 'MessageRetentionDays' },
      }),
    })
  })

  it('configures Powertools: service name, log level and metrics namespace (metrics on by default)', () => {
    const [fn] = ofType('AWS::Serverless::Function')
    expect(fn?.Properties.Environment).toEqual({
      Variables: expect.objectContaining({
        POWERTOOLS_SERVICE_NAME: 'chatdb',
        POWERTOOLS_LOG_LEVEL: { Ref: 'LogLevel' },
        POWERTOOLS_METRICS_NAMESPACE: { Ref: 'MetricsNamespace' },
      }),
    })
    expect(template.Parameters.LogLevel?.Default).toBe('INFO')
    // An empty namespace turns the metrics off (routeMetricsFromEnvironment), so the pattern allows it.
    expect(template.Parameters.MetricsNamespace?.Default).toBe('chatdb')
    expect(new RegExp(`^${template.Parameters.MetricsNamespace?.AllowedPattern}$`).test('')).toBe(true)
  })

  it("sets the posts in flight per broadcast (default the library's) and a socket for each", () => {
    const [fn] = ofType('AWS::Serverless::Function')
    expect(fn?.Properties.Environment).toEqual({
      Variables: expect.objectContaining({
        CHATDB_BROADCAST_CONCURRENCY: { Ref: 'BroadcastConcurrency' },
        CHATDB_MANAGEMENT_MAX_SOCKETS: { Ref: 'BroadcastConcurrency' },
      }),
    })
    expect(template.Parameters.BroadcastConcurrency?.Default).toBe(DEFAULT_POST_CONCURRENCY)
  })

  it("exposes the scale settings, each defaulting to the library's small-deployment value", () => {
    const [fn] = ofType('AWS::Serverless::Function')
    expect(fn?.Properties.MemorySize).toEqual({ Ref: 'RouterMemorySize' })
    expect(fn?.Properties.Environment).toEqual({
      Variables: expect.objectContaining({
        CHATDB_ROOM_LISTING_SHARDS: { Ref: 'RoomListingShards' },
        CHATDB_ROOM_LIST_CACHE_MS: { Ref: 'RoomListCacheMs' },
        CHATDB_USER_HISTORY_SHARDS: { Ref: 'UserHistoryShards' },
      }),
    })
    expect(template.Parameters.RoomListingShards?.Default).toBe(1)
    expect(template.Parameters.RoomListCacheMs?.Default).toBe(0)
    expect(template.Parameters.UserHistoryShards?.Default).toBe(1)
    expect(template.Parameters.RouterMemorySize?.Default).toBe(512)
  })

  it("passes the large-room threshold and shard count to the router, defaulting to the library's", () => {
    expect(variablesOf('RouterFunction')).toMatchObject({
      CHATDB_LARGE_ROOM_THRESHOLD: { Ref: 'LargeRoomThreshold' },
      CHATDB_LARGE_ROOM_SHARDS: { Ref: 'LargeRoomShards' },
    })
    const threshold = template.Parameters.LargeRoomThreshold
    const shards = template.Parameters.LargeRoomShards
    // What the router reads them as (fromEnvironment): the defaults, and the parameter's bounds.
    const largeRoomOptions = (env: Record<string, string>) =>
      fromEnvironment(env, ['largeRoomThreshold', 'largeRoomShards'])
    expect(
      largeRoomOptions({
        CHATDB_LARGE_ROOM_THRESHOLD: String(threshold?.Default),
        CHATDB_LARGE_ROOM_SHARDS: String(shards?.Default),
      }),
    ).toEqual({
      largeRoomThreshold: DEFAULT_LARGE_ROOM_THRESHOLD,
      largeRoomShards: DEFAULT_LARGE_ROOM_SHARDS,
    })
    expect(shards).toMatchObject({ MinValue: 1, MaxValue: MAX_SUBSCRIPTION_SHARDS })
    // CloudFormation anchors AllowedPattern: every value it lets through must be one the router takes.
    const allowed = new RegExp(`^(?:${threshold?.AllowedPattern})$`)
    for (const value of ['2', '9', '10', '1000', '100000', 'off']) {
      expect(allowed.test(value), value).toBe(true)
      expect(() => largeRoomOptions({ CHATDB_LARGE_ROOM_THRESHOLD: value }), value).not.toThrow()
    }
    for (const value of ['0', '1', '01', '-5', '2.5', 'abc', ''])
      expect(allowed.test(value), value).toBe(false)
  })

  it('gives up on a hung DynamoDB or @connections API well inside the function timeout', () => {
    const [fn] = ofType('AWS::Serverless::Function')
    const { Variables: variables = {} } = (fn?.Properties.Environment ?? {}) as {
      Variables?: Record<string, unknown>
    }
    const number = (name: string) => {
      const value = Number(variables[name])
      expect(value, name).toBeGreaterThan(0)
      return value
    }
    // A failing route: its one DynamoDB call gives up, then its 500 error frame is posted.
    const worstCase =
      worstCaseCallMs(number('CHATDB_DYNAMODB_TIMEOUT_MS'), number('CHATDB_DYNAMODB_MAX_ATTEMPTS')) +
      worstCaseCallMs(number('CHATDB_MANAGEMENT_TIMEOUT_MS'), number('CHATDB_MANAGEMENT_MAX_ATTEMPTS'))
    // "Well inside": room left for cold start and the work that did succeed before the failure.
    expect(worstCase).toBeLessThanOrEqual(template.Globals.Function.Timeout * 1000 * 0.6)
    // A large room's sendMessage against a hung SQS: its publish gives up, then the error frame.
    const hungQueue =
      worstCaseCallMs(number('CHATDB_QUEUE_TIMEOUT_MS'), number('CHATDB_QUEUE_MAX_ATTEMPTS')) +
      worstCaseCallMs(number('CHATDB_MANAGEMENT_TIMEOUT_MS'), number('CHATDB_MANAGEMENT_MAX_ATTEMPTS'))
    expect(hungQueue).toBeLessThanOrEqual(template.Globals.Function.Timeout * 1000 * 0.6)
  })

  it('grants least privilege: DynamoDB on this table and its index, ManageConnections on this API only', () => {
    const [fn] = ofType('AWS::Serverless::Function')
    const policies = fn?.Properties.Policies as { Statement: { Action: string[]; Resource: unknown[] }[] }[]
    const statements = policies.flatMap((p) => p.Statement)
    const serialized = JSON.stringify(statements)
    expect(serialized).not.toMatch(/"Resource":"\*"|"\*"/)
    for (const statement of statements) {
      for (const action of statement.Action) expect(action).not.toContain('*')
      expect(statement.Resource.length).toBeGreaterThan(0)
    }
    const dynamo = statements.filter((s) => s.Action.every((a) => a.startsWith('dynamodb:')))
    expect(dynamo.map((s) => s.Resource)).toEqual([[tableArn], [indexArn]])
    expect(dynamo[1]?.Action).toEqual(['dynamodb:Query'])
    const manage = statements.find((s) => s.Action.includes('execute-api:ManageConnections'))
    expect(manage?.Resource).toHaveLength(1)
    expect((manage?.Resource[0] as { 'Fn::Sub': string } | undefined)?.['Fn::Sub']).toMatch(
      /^arn:\$\{AWS::Partition\}:execute-api:\$\{AWS::Region\}:\$\{AWS::AccountId\}:\$\{WebSocketApi\}\/\$\{StageName\}\/POST\/@connections\/\*$/,
    )
  })

  it('keeps logs for a bounded time and outputs the WebSocket URL and the table name', () => {
    const [logGroup] = ofType('AWS::Logs::LogGroup')
    expect(logGroup?.Properties.RetentionInDays).toEqual({ Ref: 'LogRetentionDays' })
    expect(Object.keys(template.Outputs)).toEqual(expect.arrayContaining(['WebSocketUrl', 'TableName']))
  })

  describe('the fan-out of large rooms', () => {
    it('has an encrypted standard queue whose visibility timeout is six times the worker timeout', () => {
      const queue = resource('FanOutQueue')
      expect(queue.Type).toBe('AWS::SQS::Queue')
      expect(queue.Properties.FifoQueue).toBeUndefined()
      expect(queue.Properties.SqsManagedSseEnabled).toBe(true)
      expect(queue.Properties.VisibilityTimeout).toEqual({
        'Fn::FindInMap': ['FanOutVisibility', { Ref: 'FanOutTimeout' }, 'Seconds'],
      })
      expect(resource('FanOutFunction').Properties.Timeout).toEqual({ Ref: 'FanOutTimeout' })
      const timeouts = template.Parameters.FanOutTimeout?.AllowedValues ?? []
      expect(timeouts).toContain(template.Parameters.FanOutTimeout?.Default)
      for (const timeout of timeouts) {
        const visibility = template.Mappings.FanOutVisibility?.[String(timeout)]?.Seconds
        expect(visibility, `FanOutTimeout ${timeout}`).toBeGreaterThanOrEqual(6 * Number(timeout))
        // SQS takes at most 12 hours.
        expect(visibility).toBeLessThanOrEqual(43_200)
      }
    })

    it('moves a job to an encrypted dead-letter queue after FanOutMaxReceiveCount receives (default 5), kept 14 days', () => {
      expect(resource('FanOutQueue').Properties.RedrivePolicy).toEqual({
        deadLetterTargetArn: { 'Fn::GetAtt': 'FanOutDeadLetterQueue.Arn' },
        maxReceiveCount: { Ref: 'FanOutMaxReceiveCount' },
      })
      expect(template.Parameters.FanOutMaxReceiveCount?.Default).toBe(5)
      const deadLetters = resource('FanOutDeadLetterQueue')
      expect(deadLetters.Type).toBe('AWS::SQS::Queue')
      expect(deadLetters.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600)
      expect(deadLetters.Properties.SqsManagedSseEnabled).toBe(true)
      // Kept longer than the queue keeps a job, so nothing expires on its way to an operator.
      expect(Number(resource('FanOutQueue').Properties.MessageRetentionPeriod)).toBeLessThan(14 * 24 * 3600)
    })

    it('runs the worker from the same bundle on nodejs22.x with its own memory, timeout and reserved concurrency', () => {
      const worker = resource('FanOutFunction')
      expect(worker.Type).toBe('AWS::Serverless::Function')
      expect(worker.Properties).toMatchObject({
        CodeUri: resource('RouterFunction').Properties.CodeUri,
        Handler: 'worker.fanOutHandler',
        MemorySize: { Ref: 'FanOutMemorySize' },
        ReservedConcurrentExecutions: { Ref: 'FanOutReservedConcurrency' },
      })
      expect(worker.Properties.Runtime ?? template.Globals.Function.Runtime).toBe('nodejs22.x')
      expect(variablesOf('FanOutFunction')).toMatchObject({
        CHATDB_TABLE: { Ref: 'ChatTable' },
        CHATDB_FANOUT_QUEUE_URL: { Ref: 'FanOutQueue' },
        CHATDB_MANAGEMENT_ENDPOINT: {
          'Fn::Sub': `https://\${WebSocketApi}.execute-api.\${AWS::Region}.amazonaws.com/\${StageName}`,
        },
        CHATDB_BROADCAST_CONCURRENCY: { Ref: 'BroadcastConcurrency' },
        CHATDB_MANAGEMENT_MAX_SOCKETS: { Ref: 'BroadcastConcurrency' },
      })
      // No SAM event: it would attach a managed policy on every queue ("*").
      expect(worker.Properties.Events).toBeUndefined()
    })

    it('gives up on a hung dependency well inside the worker timeout', () => {
      const variables = variablesOf('FanOutFunction')
      const call = (service: string) =>
        worstCaseCallMs(
          Number(variables[`CHATDB_${service}_TIMEOUT_MS`]),
          Number(variables[`CHATDB_${service}_MAX_ATTEMPTS`]),
        )
      // A job: a shard read, a post and its two retry rounds (with their backoff, at most
      // 250 + 500 ms), then its retry job sent.
      const worstCase = call('DYNAMODB') + 3 * call('MANAGEMENT') + 750 + call('QUEUE')
      const shortest = Math.min(...(template.Parameters.FanOutTimeout?.AllowedValues ?? []).map(Number))
      // "Well inside", as for the router: room for a cold start and the posts that succeeded.
      expect(worstCase).toBeLessThanOrEqual(shortest * 1000 * 0.6)
    })

    it('feeds the worker from the queue, reporting batch item failures, within its reserved concurrency', () => {
      const [mapping, ...others] = ofType('AWS::Lambda::EventSourceMapping')
      expect(others).toEqual([])
      expect(mapping?.Properties).toEqual({
        EventSourceArn: queueArn,
        FunctionName: { Ref: 'FanOutFunction' },
        BatchSize: { Ref: 'FanOutBatchSize' },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: { Ref: 'FanOutReservedConcurrency' } },
      })
      expect(template.Parameters.FanOutBatchSize).toMatchObject({ MinValue: 1, MaxValue: 10 })
    })

    it('reserves no more concurrency than an account can, nor less than the event source takes', () => {
      // Lambda: an account's default concurrency, and what must stay unreserved of it
      // (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html).
      const accountConcurrency = 1000
      const neverReserved = 100
      // The SQS event source's ScalingConfig.MaximumConcurrency takes 2–1,000
      // (https://docs.aws.amazon.com/lambda/latest/dg/API_ScalingConfig.html).
      const eventSource = { min: 2, max: 1000 }
      const parameter = template.Parameters.FanOutReservedConcurrency
      expect(parameter).toMatchObject({
        MinValue: eventSource.min,
        MaxValue: Math.min(accountConcurrency - neverReserved, eventSource.max),
      })
      expect(parameter?.Default).toBeGreaterThanOrEqual(eventSource.min)
      expect(parameter?.Default).toBeLessThanOrEqual(parameter?.MaxValue ?? 0)
    })

    it('lets the router only send to the fan-out queue, and tells it the queue URL', () => {
      const sqs = Object.entries(grants('RouterFunction')).filter(([action]) => action.startsWith('sqs:'))
      expect(sqs).toEqual([['sqs:SendMessage', [queueArn]]])
      expect(variablesOf('RouterFunction')).toMatchObject({ CHATDB_FANOUT_QUEUE_URL: { Ref: 'FanOutQueue' } })
    })

    it("lets the router read and write the table, publish to its queue and post to this API's @connections: nothing else", () => {
      // test/integration/lambda/iamAudit.test.ts records the built router making each of these calls.
      const manage = statementsOf('RouterFunction').find((s) =>
        s.Action.includes('execute-api:ManageConnections'),
      )
      expect(grants('RouterFunction')).toEqual({
        // A large room's sendMessage reads the sender's two possible keys, a subscribe the counters.
        'dynamodb:BatchGetItem': tableResources,
        'dynamodb:BatchWriteItem': tableResources,
        'dynamodb:DeleteItem': tableResources,
        'dynamodb:GetItem': tableResources,
        'dynamodb:PutItem': tableResources,
        'dynamodb:Query': [tableArn, indexArn],
        'dynamodb:UpdateItem': tableResources,
        'execute-api:ManageConnections': manage?.Resource,
        'sqs:SendMessage': [queueArn],
      })
    })

    it("lets the worker consume and requeue on its queue, read and clean the table, and post to this API's @connections: nothing else", () => {
      const manage = statementsOf('RouterFunction').find((s) =>
        s.Action.includes('execute-api:ManageConnections'),
      )
      expect(grants('FanOutFunction')).toEqual({
        // A trailing roomStats job reads the room's guard and counters.
        'dynamodb:BatchGetItem': tableResources,
        'dynamodb:GetItem': tableResources,
        'dynamodb:BatchWriteItem': tableResources,
        'dynamodb:DeleteItem': tableResources,
        'dynamodb:PutItem': tableResources,
        'dynamodb:Query': [tableArn, indexArn],
        'dynamodb:UpdateItem': tableResources,
        'execute-api:ManageConnections': manage?.Resource,
        'sqs:ChangeMessageVisibility': [queueArn],
        'sqs:DeleteMessage': [queueArn],
        'sqs:GetQueueAttributes': [queueArn],
        'sqs:ReceiveMessage': [queueArn],
        'sqs:SendMessage': [queueArn],
      })
      const serialized = JSON.stringify(statementsOf('FanOutFunction'))
      expect(serialized).not.toMatch(/"Resource":"\*"|"\*"/)
      for (const statement of statementsOf('FanOutFunction')) {
        for (const action of statement.Action) expect(action).not.toContain('*')
      }
    })

    it('keeps the worker logs as long as the router logs and outputs the queue URLs', () => {
      expect(resource('FanOutLogGroup').Properties.RetentionInDays).toEqual({ Ref: 'LogRetentionDays' })
      expect(Object.keys(template.Outputs)).toEqual(
        expect.arrayContaining(['FanOutQueueUrl', 'FanOutDeadLetterQueueUrl']),
      )
    })
  })

  describe('alarms', () => {
    type Dimension = { Name: string; Value: unknown }
    type MetricStat = { Metric: { Namespace: string; MetricName: string; Dimensions: Dimension[] } }
    type Alarm = Record<string, unknown> & {
      Namespace?: string
      MetricName?: string
      Dimensions?: Dimension[]
      Metrics?: { Id: string; Expression?: string; MetricStat?: MetricStat; ReturnData?: boolean }[]
    }
    const alarms = ofType('AWS::CloudWatch::Alarm').map((r) => r.Properties as Alarm)
    const dimensionsOf = (dimensions: Dimension[] = []) =>
      Object.fromEntries(dimensions.map(({ Name, Value }) => [Name, Value]))
    /** The alarm on one metric with exactly these dimensions. */
    const alarmOn = (namespace: string, metric: string, dimensions: Record<string, unknown>) => {
      const found = alarms.filter(
        (a) =>
          a.Namespace === namespace &&
          a.MetricName === metric &&
          JSON.stringify(dimensionsOf(a.Dimensions)) === JSON.stringify(dimensions),
      )
      expect(found, `${namespace} ${metric} ${JSON.stringify(dimensions)}`).toHaveLength(1)
      return found[0]
    }
    const anyAtAll = { Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' }

    it("alarms on each function's errors and throttles, any in five minutes", () => {
      const functions = resources.filter(([, r]) => r.Type === 'AWS::Serverless::Function')
      expect(functions.length).toBeGreaterThanOrEqual(2)
      for (const [name] of functions) {
        for (const metric of ['Errors', 'Throttles']) {
          expect(alarmOn('AWS/Lambda', metric, { FunctionName: { Ref: name } })).toMatchObject({
            ...anyAtAll,
            Statistic: 'Sum',
            Period: 300,
          })
        }
      }
    })

    it("alarms when the fan-out queue's oldest job is older than FanOutAgeAlarmSeconds (60 s) for three minutes", () => {
      expect(
        alarmOn('AWS/SQS', 'ApproximateAgeOfOldestMessage', {
          QueueName: { 'Fn::GetAtt': 'FanOutQueue.QueueName' },
        }),
      ).toMatchObject({
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 3,
        Threshold: { Ref: 'FanOutAgeAlarmSeconds' },
        ComparisonOperator: 'GreaterThanThreshold',
      })
      // Above a trailing roomStats job's delay (its interval), so a healthy queue never fires it.
      expect(template.Parameters.FanOutAgeAlarmSeconds?.Default).toBe(60)
      expect(Number(template.Parameters.FanOutAgeAlarmSeconds?.Default) * 1000).toBeGreaterThan(
        DEFAULT_ROOM_STATS_INTERVAL_MS,
      )
    })

    it('alarms on any job in the dead-letter queue', () => {
      expect(
        alarmOn('AWS/SQS', 'ApproximateNumberOfMessagesVisible', {
          QueueName: { 'Fn::GetAtt': 'FanOutDeadLetterQueue.QueueName' },
        }),
      ).toMatchObject({ ...anyAtAll, Statistic: 'Maximum' })
    })

    it('alarms on any throttled read or write of the table or its index', () => {
      const table = { TableName: { Ref: 'ChatTable' } }
      const index = { ...table, GlobalSecondaryIndexName: DATA_INDEX }
      const [alarm, ...others] = alarms.filter((a) => a.Metrics)
      expect(others).toEqual([])
      const stats = (alarm?.Metrics ?? []).filter((m) => m.MetricStat)
      expect(
        stats.map(({ MetricStat }) => [
          MetricStat?.Metric.MetricName,
          dimensionsOf(MetricStat?.Metric.Dimensions),
        ]),
      ).toEqual([
        ['ReadThrottleEvents', table],
        ['WriteThrottleEvents', table],
        ['ReadThrottleEvents', index],
        ['WriteThrottleEvents', index],
      ])
      // The alarm is on their sum, each missing value (nothing throttled) counted as zero.
      const [sum, ...more] = (alarm?.Metrics ?? []).filter((m) => m.Expression)
      expect(more).toEqual([])
      for (const { Id, ReturnData } of stats) {
        expect(sum?.Expression).toContain(`FILL(${Id}, 0)`)
        expect(ReturnData).toBe(false)
      }
      expect(alarm).toMatchObject(anyAtAll)
    })

    it('alarms when API Gateway fails to invoke the router', () => {
      expect(
        alarmOn('AWS/ApiGateway', 'ExecutionError', {
          ApiId: { Ref: 'WebSocketApi' },
          Stage: { Ref: 'Stage' },
        }),
      ).toMatchObject(anyAtAll)
    })

    it('notifies the AlarmTopicArn topic when set and nobody by default; no traffic is no alarm', () => {
      expect(alarms.length).toBeGreaterThanOrEqual(8)
      const topicWhenSet = { 'Fn::If': ['NoAlarmTopic', { Ref: 'AWS::NoValue' }, [{ Ref: 'AlarmTopicArn' }]] }
      for (const alarm of alarms) {
        expect(alarm).toMatchObject({
          AlarmActions: topicWhenSet,
          OKActions: topicWhenSet,
          TreatMissingData: 'notBreaching',
        })
      }
      const { Conditions: conditions } = template as unknown as { Conditions: Record<string, unknown> }
      expect(conditions.NoAlarmTopic).toEqual({ 'Fn::Equals': [{ Ref: 'AlarmTopicArn' }, ''] })
      const topic = template.Parameters.AlarmTopicArn
      expect(topic?.Default).toBe('')
      const allowed = new RegExp(`^(?:${topic?.AllowedPattern})$`)
      for (const value of [
        '',
        'arn:aws:sns:eu-west-1:123456789012:chatdb-alarms',
        'arn:aws-cn:sns:cn-north-1:123456789012:a',
      ])
        expect(allowed.test(value), value).toBe(true)
      for (const value of [
        'chatdb-alarms',
        'arn:aws:sqs:eu-west-1:123456789012:q',
        'arn:aws:sns:eu-west-1:1234:t',
      ])
        expect(allowed.test(value), value).toBe(false)
    })
  })
})
