import type { FanOutDeployment } from './fanOutDeployment.js'
import {
  type EventSourceScaling,
  type FanOutModelInput,
  type FanOutModelResult,
  simulateFanOut,
  timeToFullConcurrencyMs,
} from './fanOutModel.js'

/**
 * Lambda's SQS event source on a standard queue, as AWS documents it ("Configuring scaling
 * behavior for SQS event source mappings"): five concurrent batches when messages arrive, up to
 * 300 more per minute while messages remain, never above the mapping's MaximumConcurrency.
 */
export const SQS_EVENT_SOURCE = { initialConcurrency: 5, addedPerMinute: 300 } as const

/** API Gateway's account-wide quota, which every `@connections` post counts against. */
export const ACCOUNT_QUOTA = { perSecond: 10_000, burst: 5_000 } as const

/**
 * Init duration of a new execution environment (assumption): AWS's operator guide gives cold
 * starts "from under 100 ms to over 1 second"; the model takes 1 s. The bundle's own import was
 * measured at ~91 ms on one core of this machine ("Lambda cold start"), which the worker's
 * 1,024 MB (0.58 vCPU) would make ~160 ms, before the runtime's own start.
 */
export const COLD_START_MS = 1_000

/** Lambda gives one vCPU at 1,769 MB, CPU in proportion below it; a Node process uses one. */
const ONE_VCPU_MB = 1_769

/**
 * The measured parts: ~0.36 ms of client CPU a post on one core (section "Broadcast throughput
 * per invocation", the management client's middleware resolved once), a 30 ms post, a consistent
 * Query of a shard (~1,600 subscriptions, ~55 RCU, assumed 30 ms), 20 ms from enqueue to a
 * worker holding the batch (assumption: a long poll that is already waiting).
 */
export const MEASURED = {
  cpuPerPostMsOneVcpu: 0.36,
  postLatencyMs: 30,
  shardReadMs: 30,
  pickupMs: 20,
} as const

/** The event source as the deployment configures it: AWS's ramp up to the mapping's ceiling. */
export function eventSourceScaling(deployment: FanOutDeployment): EventSourceScaling {
  return {
    ...SQS_EVENT_SOURCE,
    // Pollers above the reserved concurrency would only be throttled (the template keeps them equal).
    maximumConcurrency: Math.min(deployment.maximumConcurrency, deployment.reservedConcurrency),
  }
}

/**
 * The model's inputs for the deployment's defaults, every setting from deploy/template.yaml:
 * batches of `BatchSize` jobs, an invocation's jobs sharing its sockets (posts in flight: the
 * sockets, or all its jobs' posts if fewer), its CPU per post scaled to its memory.
 */
export function deployedFanOutInputs(deployment: FanOutDeployment): Omit<FanOutModelInput, 'subscribers'> {
  const vcpu = Math.min(1, deployment.memoryMb / ONE_VCPU_MB)
  return {
    shards: deployment.shards,
    // A room becomes large when its subscribers reach the threshold: those stay in its base partition.
    baseMembers: deployment.largeRoomThreshold,
    scaling: eventSourceScaling(deployment),
    batchSize: deployment.batchSize,
    inFlight: Math.min(deployment.maxSockets, deployment.batchSize * deployment.postConcurrency),
    postLatencyMs: MEASURED.postLatencyMs,
    cpuPerPostMs: MEASURED.cpuPerPostMsOneVcpu / vcpu,
    shardReadMs: MEASURED.shardReadMs,
    pickupMs: MEASURED.pickupMs,
    coldStartMs: COLD_START_MS,
    quotaPerSecond: ACCOUNT_QUOTA.perSecond,
    quotaBurst: ACCOUNT_QUOTA.burst,
  }
}

/** The hot room's storm of the capacity target: 10 messages a second to 100,000 members. */
export const HOT_ROOM_STORM = { subscribers: 100_000, messagesPerSecond: 10, seconds: 60 } as const

export interface ModelledBroadcast {
  subscribers: number
  /** Every execution environment new (the first broadcast after a deploy or an idle spell). */
  cold: FanOutModelResult
  /** As many environments warm as the event source may run. */
  warm: FanOutModelResult
  /** What the quota alone allows: (subscribers − burst) ÷ rate + one post's latency. */
  floorMs: number
}

/** The modelled figures of the bench and docs/capacity.md: one broadcast per size, and the storm's first minute. */
export function modelledFanOut(deployment: FanOutDeployment, sizes: readonly number[]) {
  const inputs = deployedFanOutInputs(deployment)
  const warmEnvironments = inputs.scaling.maximumConcurrency
  const broadcasts: ModelledBroadcast[] = sizes.map((subscribers) => {
    const cold = simulateFanOut({ ...inputs, subscribers })
    return {
      subscribers,
      cold,
      warm: simulateFanOut({ ...inputs, subscribers, warmEnvironments }),
      floorMs: cold.quotaFloorMs + inputs.postLatencyMs,
    }
  })
  const storm = simulateFanOut({
    ...inputs,
    subscribers: HOT_ROOM_STORM.subscribers,
    messages: HOT_ROOM_STORM.messagesPerSecond * HOT_ROOM_STORM.seconds,
    messageIntervalMs: 1000 / HOT_ROOM_STORM.messagesPerSecond,
    horizonMs: HOT_ROOM_STORM.seconds * 1000,
  })
  return { inputs, broadcasts, storm, fullConcurrencyMs: timeToFullConcurrencyMs(inputs.scaling) }
}
