import { COLD_START_MS, HOT_ROOM_STORM, modelledFanOut } from '../deployedFanOut.js'
import { readFanOutDeployment } from '../fanOutDeployment.js'
import { type FanOutModelInput, simulateFanOut } from '../fanOutModel.js'
import type { Section } from '../report.js'

/** Today's broadcast before the queue: one invocation posts to every member, 16 in flight, inside the 29 s limit. */
const ONE_INVOCATION: Partial<FanOutModelInput> = {
  shards: 1,
  baseMembers: 0,
  batchSize: 1,
  scaling: { initialConcurrency: 1, addedPerMinute: 0, maximumConcurrency: 1 },
  warmEnvironments: 1,
  inFlight: 16,
  cpuPerPostMs: 0.45,
}

const seconds = (ms: number) => (ms / 1000).toFixed(2)
const count = (n: number) => n.toLocaleString('en-US')
const quotaText = (q: { perSecond: number; burst: number }) =>
  `${count(q.perSecond)}/s, burst ${count(q.burst)}`

/**
 * The modelled rows of the large-room broadcast section (bench/fanOutModel.ts with the
 * deployment's defaults, read from deploy/template.yaml now): one broadcast per size, from cold,
 * and the first minute of the hot room's storm. Deterministic, so docs/benchmarks.md and
 * docs/capacity.md are tested against it (test/unit/bench/modelledBroadcast.test.ts).
 */
export function modelledBroadcastRows(sizes: readonly number[]) {
  const rows: string[][] = []
  const checks: Section['checks'] = []
  // The model runs with the deployment's defaults, read from deploy/template.yaml now.
  const deployment = readFanOutDeployment()
  const model = modelledFanOut(deployment, sizes)
  const { inputs } = model
  const quota = { perSecond: inputs.quotaPerSecond, burst: inputs.quotaBurst }
  for (const { subscribers, cold, warm, floorMs } of model.broadcasts) {
    const alone = simulateFanOut({ ...inputs, ...ONE_INVOCATION, subscribers })
    rows.push([
      count(subscribers),
      `modelled (virtual time; ${cold.invocations} invocations, ${cold.coldStarts} cold starts; warm environments: ${seconds(warm.completionMs)} s; one invocation without the queue: ${seconds(alone.completionMs)} s${alone.completionMs > 29_000 ? ', over the 29 s limit' : ''})`,
      quotaText(quota),
      seconds(cold.completionMs),
      count(Math.round(subscribers / (cold.completionMs / 1000))),
      `${count(cold.throttledPosts)} waited`,
      seconds(floorMs),
      `${(cold.completionMs / floorMs).toFixed(2)}×`,
    ])
    // As for the measured rows: where the quota binds, the queue and the workers must get close
    // to what it allows; below that the worker's CPU (its memory) sets the time.
    if (subscribers > quota.burst * 2) {
      checks.push({
        name: `large-room broadcast (modelled, cold), ${count(subscribers)} subscribers: completion ÷ the quota's floor (×)`,
        value: cold.completionMs / floorMs,
        target: 1.25,
        better: 'lower',
      })
    }
  }
  const { storm } = model
  const stormMessages = HOT_ROOM_STORM.messagesPerSecond * HOT_ROOM_STORM.seconds
  rows.push([
    `${count(HOT_ROOM_STORM.subscribers)} × ${count(stormMessages)} messages (${HOT_ROOM_STORM.messagesPerSecond}/s)`,
    `modelled, the first ${HOT_ROOM_STORM.seconds} s of the hot room's storm: ${storm.messagesDelivered} message(s) delivered to everyone (the first at ${seconds(storm.firstMessageMs ?? Number.NaN)} s), ${count(storm.jobsWaiting)} jobs still queued (the oldest ${seconds(storm.oldestJobAgeMs)} s old); the event source at its maximum of ${inputs.scaling.maximumConcurrency} invocations after ${seconds(storm.fullConcurrencyMs ?? Number.NaN)} s`,
    quotaText(quota),
    `— (cut at ${HOT_ROOM_STORM.seconds} s)`,
    count(Math.round(storm.posts / HOT_ROOM_STORM.seconds)),
    `${count(storm.throttledPosts)} waited`,
    seconds(storm.quotaFloorMs + inputs.postLatencyMs),
    '—',
  ])
  const description = [
    "**Modelled** rows: bench/fanOutModel.ts in virtual time with deploy/template.yaml's defaults (bench/fanOutDeployment.ts):",
    `${inputs.shards} shard jobs and the base partition's (${count(inputs.baseMembers ?? 0)} members from before the room became large) in batches of ${inputs.batchSize},`,
    `Lambda's SQS event source starting ${inputs.scaling.initialConcurrency} invocations and adding up to ${inputs.scaling.addedPerMinute} a minute up to ${inputs.scaling.maximumConcurrency}`,
    `(reserved concurrency ${deployment.reservedConcurrency}, MaximumConcurrency ${deployment.maximumConcurrency}), a cold start of ${COLD_START_MS / 1000} s per new execution environment`,
    `(assumption; docs/capacity.md), ${inputs.inFlight} posts in flight per invocation (its jobs share ${deployment.maxSockets} sockets), ${inputs.postLatencyMs} ms a post`,
    `and ${inputs.cpuPerPostMs.toFixed(2)} ms of CPU a post at ${count(deployment.memoryMb)} MB (0.36 ms on one vCPU). Completion, posts/s and waits are the cold case.`,
  ].join(' ')
  return { rows, checks, description, model }
}
