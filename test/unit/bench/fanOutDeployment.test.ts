import { describe, expect, it } from 'vitest'
import { readDeployTemplate } from '../../../bench/deployTemplate.js'
import { fanOutDeploymentOf, readFanOutDeployment } from '../../../bench/fanOutDeployment.js'
import { DEFAULT_LARGE_ROOM_SHARDS, DEFAULT_POST_CONCURRENCY } from '../../../src/config/settings.js'

interface Template {
  Parameters: Record<string, { Default?: string | number }>
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>
}

/** A fresh copy of deploy/template.yaml, parsed, for each test to change. */
const template = () => structuredClone(readDeployTemplate<Template>().template)
const variablesOf = (t: Template, name: string) => {
  const resource = t.Resources[name]
  if (!resource) throw new Error(`deploy/template.yaml has no ${name}`)
  return (resource.Properties.Environment as { Variables: Record<string, unknown> }).Variables
}

describe('fanOutDeploymentOf', () => {
  it("takes each setting from the parameter its property names, at the parameter's default", () => {
    const t = template()
    const defaults = {
      FanOutReservedConcurrency: 37,
      FanOutBatchSize: 3,
      BroadcastConcurrency: 50,
      FanOutMemorySize: 2_048,
      LargeRoomShards: 16,
      LargeRoomThreshold: '500',
    }
    for (const [name, value] of Object.entries(defaults)) {
      expect(t.Parameters[name], name).toBeDefined()
      ;(t.Parameters[name] as { Default: unknown }).Default = value
    }
    expect(fanOutDeploymentOf(t)).toEqual({
      reservedConcurrency: 37,
      // The mapping's MaximumConcurrency is the same parameter.
      maximumConcurrency: 37,
      batchSize: 3,
      postConcurrency: 50,
      // CHATDB_MANAGEMENT_MAX_SOCKETS is !Ref BroadcastConcurrency too.
      maxSockets: 50,
      memoryMb: 2_048,
      shards: 16,
      largeRoomThreshold: 500,
    })
  })

  it('takes literal values as they are', () => {
    const t = template()
    const worker = t.Resources.FanOutFunction as { Properties: Record<string, unknown> }
    worker.Properties.ReservedConcurrentExecutions = 20
    variablesOf(t, 'FanOutFunction').CHATDB_MANAGEMENT_MAX_SOCKETS = '64'
    const deployment = fanOutDeploymentOf(t)
    expect(deployment.reservedConcurrency).toBe(20)
    expect(deployment.maxSockets).toBe(64)
  })

  it("falls back to the code's defaults where the template sets nothing", () => {
    const t = template()
    const worker = variablesOf(t, 'FanOutFunction')
    delete worker.CHATDB_BROADCAST_CONCURRENCY
    delete worker.CHATDB_MANAGEMENT_MAX_SOCKETS
    delete variablesOf(t, 'RouterFunction').CHATDB_LARGE_ROOM_SHARDS
    const mapping = t.Resources.FanOutEventSource as { Properties: Record<string, unknown> }
    delete mapping.Properties.ScalingConfig
    delete mapping.Properties.BatchSize
    delete (t.Resources.FanOutFunction as { Properties: Record<string, unknown> }).Properties.MemorySize
    const deployment = fanOutDeploymentOf(t)
    expect(deployment.postConcurrency).toBe(DEFAULT_POST_CONCURRENCY)
    expect(deployment.maxSockets).toBe(DEFAULT_POST_CONCURRENCY)
    expect(deployment.shards).toBe(DEFAULT_LARGE_ROOM_SHARDS)
    // No ScalingConfig: the event source is bounded by the function's reserved concurrency.
    expect(deployment.maximumConcurrency).toBe(deployment.reservedConcurrency)
    // SQS's default batch, and the template's Globals memory.
    expect(deployment.batchSize).toBe(10)
    expect(deployment.memoryMb).toBe(512)
  })

  it('refuses a value it cannot resolve, naming it', () => {
    const t = template()
    ;(
      t.Resources.FanOutFunction as { Properties: Record<string, unknown> }
    ).Properties.ReservedConcurrentExecutions = { 'Fn::If': ['x', 1, 2] }
    expect(() => fanOutDeploymentOf(t)).toThrow(/FanOutFunction\.ReservedConcurrentExecutions/)
    const off = template()
    ;(off.Parameters.LargeRoomThreshold as { Default: unknown }).Default = 'off'
    expect(() => fanOutDeploymentOf(off)).toThrow(/CHATDB_LARGE_ROOM_THRESHOLD/)
  })

  it("picks the fan-out queue's event source among others", () => {
    const t = template()
    const other = structuredClone(t.Resources.FanOutEventSource) as {
      Type: string
      Properties: Record<string, unknown>
    }
    other.Properties.EventSourceArn = { 'Fn::GetAtt': 'OtherQueue.Arn' }
    other.Properties.BatchSize = 1
    t.Resources.OtherEventSource = other
    expect(fanOutDeploymentOf(t).batchSize).toBe(fanOutDeploymentOf(template()).batchSize)
  })

  it('refuses a template without the fan-out event source', () => {
    const t = template()
    delete t.Resources.FanOutEventSource
    expect(() => fanOutDeploymentOf(t)).toThrow(/event source mapping/)
  })
})

describe('readFanOutDeployment', () => {
  it('reads deploy/template.yaml as it is now', () => {
    const { template: t } = readDeployTemplate<Template>()
    const deployment = readFanOutDeployment()
    expect(deployment.reservedConcurrency).toBe(Number(t.Parameters.FanOutReservedConcurrency?.Default))
    expect(deployment.batchSize).toBe(Number(t.Parameters.FanOutBatchSize?.Default))
    expect(deployment.postConcurrency).toBe(Number(t.Parameters.BroadcastConcurrency?.Default))
  })
})
