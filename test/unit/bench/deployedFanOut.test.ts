import { describe, expect, it } from 'vitest'
import {
  deployedFanOutInputs,
  eventSourceScaling,
  MEASURED,
  modelledFanOut,
  SQS_EVENT_SOURCE,
} from '../../../bench/deployedFanOut.js'
import type { FanOutDeployment } from '../../../bench/fanOutDeployment.js'

const deployment: FanOutDeployment = {
  reservedConcurrency: 10,
  maximumConcurrency: 10,
  batchSize: 10,
  postConcurrency: 128,
  maxSockets: 128,
  memoryMb: 1_024,
  shards: 64,
  largeRoomThreshold: 1_000,
}

describe('eventSourceScaling', () => {
  it("ramps as AWS documents up to the mapping's MaximumConcurrency", () => {
    expect(eventSourceScaling({ ...deployment, maximumConcurrency: 8 })).toEqual({
      ...SQS_EVENT_SOURCE,
      maximumConcurrency: 8,
    })
  })

  it('never above the reserved concurrency, where pollers would only be throttled', () => {
    expect(eventSourceScaling({ ...deployment, maximumConcurrency: 50 }).maximumConcurrency).toBe(10)
  })
})

describe('deployedFanOutInputs', () => {
  it("scales the CPU per post to the worker's memory, one vCPU at 1,769 MB at most", () => {
    expect(deployedFanOutInputs({ ...deployment, memoryMb: 1_769 }).cpuPerPostMs).toBeCloseTo(
      MEASURED.cpuPerPostMsOneVcpu,
    )
    expect(deployedFanOutInputs({ ...deployment, memoryMb: 3_538 }).cpuPerPostMs).toBeCloseTo(
      MEASURED.cpuPerPostMsOneVcpu,
    )
    expect(deployedFanOutInputs({ ...deployment, memoryMb: 884.5 }).cpuPerPostMs).toBeCloseTo(
      MEASURED.cpuPerPostMsOneVcpu * 2,
    )
  })

  it("lets an invocation's jobs share its sockets", () => {
    expect(deployedFanOutInputs(deployment).inFlight).toBe(128)
    expect(deployedFanOutInputs({ ...deployment, maxSockets: 1_000 }).inFlight).toBe(1_000)
    // One job of 16 posts in flight cannot use more, whatever the sockets.
    expect(deployedFanOutInputs({ ...deployment, batchSize: 1, postConcurrency: 16 }).inFlight).toBe(16)
  })

  it('keeps the members from before the room became large in its base partition', () => {
    const inputs = deployedFanOutInputs({ ...deployment, largeRoomThreshold: 300, shards: 16 })
    expect(inputs.baseMembers).toBe(300)
    expect(inputs.shards).toBe(16)
    expect(inputs.batchSize).toBe(10)
  })
})

describe('modelledFanOut', () => {
  it('follows the reserved concurrency: more workers, a faster broadcast below the quota', () => {
    const ten = modelledFanOut(deployment, [10_000]).broadcasts[0]
    const two = modelledFanOut({ ...deployment, reservedConcurrency: 2, maximumConcurrency: 2 }, [10_000])
      .broadcasts[0]
    expect(ten?.cold.invocations).toBe(7)
    expect(two?.cold.invocations).toBe(2)
    expect(two?.warm.completionMs).toBeGreaterThan(ten?.warm.completionMs ?? Number.POSITIVE_INFINITY)
  })
})
