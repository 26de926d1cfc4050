import { type FanOutModelInput, simulateFanOut } from '../fanOutModel.js'
import type { Section } from '../report.js'

/**
 * The parts of the model and where each figure comes from (docs/capacity.md cites the AWS ones).
 * Shards: 64 per large room. Worker concurrency: the template's default reserved concurrency.
 * In flight and CPU per post: the broadcast-throughput section of this report (64 posts in
 * flight; ~0.36 ms of CPU per post with the management client's middleware resolved once).
 * Shard read: a consistent Query of ~1,600 subscriptions (~55 RCU), assumed 30 ms.
 */
const DEFAULTS: Omit<FanOutModelInput, 'subscribers'> = {
  shards: 64,
  workerConcurrency: 64,
  jobsPerInvocation: 1,
  inFlight: 64,
  postLatencyMs: 30,
  cpuPerPostMs: 0.36,
  shardReadMs: 30,
  pickupMs: 20,
  quotaPerSecond: 10_000,
  quotaBurst: 5_000,
}

/** Today's broadcast: one invocation posts to every member, 16 in flight, inside the 29 s limit. */
const ONE_INVOCATION: Partial<FanOutModelInput> = {
  shards: 1,
  workerConcurrency: 1,
  inFlight: 16,
  cpuPerPostMs: 0.45,
}

const seconds = (ms: number) => (ms / 1000).toFixed(2)

/**
 * Broadcast completion time of one message in a large room, in virtual time (bench/fanOutModel.ts):
 * the fan-out queue against one invocation posting alone, beside the floor the account-wide
 * posting quota sets (subscribers ÷ 10,000/s after a 5,000 burst).
 */
export function largeRoomBroadcast(sizes: readonly number[]): Section {
  const rows: string[][] = []
  const checks: Section['checks'] = []
  for (const subscribers of sizes) {
    const fanOut = simulateFanOut({ ...DEFAULTS, subscribers })
    const alone = simulateFanOut({ ...DEFAULTS, ...ONE_INVOCATION, subscribers })
    const floorMs = fanOut.quotaFloorMs
    rows.push([
      subscribers.toLocaleString('en-US'),
      seconds(alone.completionMs) + (alone.completionMs > 29_000 ? ' (over the 29 s limit)' : ''),
      seconds(fanOut.completionMs),
      String(fanOut.invocations),
      fanOut.throttledPosts.toLocaleString('en-US'),
      seconds(floorMs),
      floorMs > 0 ? `${(fanOut.completionMs / floorMs).toFixed(2)}×` : '—',
    ])
    if (floorMs > 0) {
      checks.push({
        name: `fan-out of ${subscribers.toLocaleString('en-US')} subscribers vs the quota's floor (×)`,
        value: fanOut.completionMs / floorMs,
        target: 1.25,
        better: 'lower',
      })
    }
  }
  return {
    title: 'Large-room broadcast (virtual time)',
    description: [
      'One message to every subscriber of a large room, modelled in virtual time (bench/fanOutModel.ts):',
      `${DEFAULTS.shards} shard jobs taken by up to ${DEFAULTS.workerConcurrency} worker invocations,`,
      `each posting with ${DEFAULTS.inFlight} in flight at ${DEFAULTS.postLatencyMs} ms a post and ${DEFAULTS.cpuPerPostMs} ms of CPU a post,`,
      `against API Gateway's account-wide quota of ${DEFAULTS.quotaPerSecond.toLocaleString('en-US')} requests/s (burst ${DEFAULTS.quotaBurst.toLocaleString('en-US')}),`,
      'which every PostToConnection counts against. "One invocation" is the broadcast without the queue',
      '(16 in flight). The floor is what the quota alone allows: (subscribers − burst) ÷ rate; no data',
      'layer gets under it. Posts that found the quota spent waited for a token (a throttled post retried),',
      'so real completion is a little later than modelled.',
    ].join(' '),
    header: [
      'subscribers',
      'one invocation (s)',
      'fan-out (s)',
      'invocations',
      'posts that waited for the quota',
      'quota floor (s)',
      'fan-out ÷ floor',
    ],
    rows,
    checks,
  }
}
