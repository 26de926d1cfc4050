import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse, type Tags } from 'yaml'
import { worstCaseCallMs } from '../../src/client.js'
import { DEFAULT_POST_CONCURRENCY } from '../../src/service/broadcastDefaults.js'
import { DATA_INDEX, tableDefinition } from '../../src/table.js'

// CloudFormation's short-form intrinsic functions, parsed into their long form.
const intrinsic = (tag: string, fn: string, kind: 'scalar' | 'seq') => ({
  tag,
  collection: kind === 'seq' ? ('seq' as const) : undefined,
  resolve: (value: unknown) => ({ [fn]: kind === 'seq' ? (value as { toJSON(): unknown }).toJSON() : value }),
})
const cloudFormationTags: Tags = [
  intrinsic('!Ref', 'Ref', 'scalar'),
  intrinsic('!Sub', 'Fn::Sub', 'scalar'),
  intrinsic('!GetAtt', 'Fn::GetAtt', 'scalar'),
  intrinsic('!Join', 'Fn::Join', 'seq'),
  intrinsic('!Select', 'Fn::Select', 'seq'),
  intrinsic('!If', 'Fn::If', 'seq'),
  intrinsic('!Equals', 'Fn::Equals', 'seq'),
] as Tags

type Resource = { Type: string; Properties: Record<string, unknown> }
const template = parse(readFileSync(new URL('../../deploy/template.yaml', import.meta.url), 'utf8'), {
  customTags: cloudFormationTags,
}) as {
  Resources: Record<string, Resource>
  Outputs: Record<string, unknown>
  Globals: { Function: { Runtime: string; Timeout: number } }
  Parameters: Record<string, { Default?: unknown; AllowedPattern?: string }>
}

const resources = Object.entries(template.Resources)
const ofType = (type: string) => resources.filter(([, r]) => r.Type === type).map(([, r]) => r)

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
    const dynamo = statements.find((s) => s.Action.every((a) => a.startsWith('dynamodb:')))
    expect(dynamo?.Resource).toEqual([
      { 'Fn::GetAtt': 'ChatTable.Arn' },
      { 'Fn::Sub': `\${ChatTable.Arn}/index/${DATA_INDEX}` },
    ])
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
})
