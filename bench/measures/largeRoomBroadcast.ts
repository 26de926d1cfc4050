import type { BenchEnvironment } from '../env.js'
import type { Section } from '../report.js'
import { type DeliveryCase, type DeliveryOptions, measureLargeRoomDelivery } from './largeRoomDelivery.js'
import { modelledBroadcastRows } from './modelledBroadcast.js'

const seconds = (ms: number) => (ms / 1000).toFixed(2)

export interface LargeRoomBroadcastOptions {
  /** Broadcasts run for real on dynalite (bench/measures/largeRoomDelivery.ts). */
  real: readonly DeliveryCase[]
  delivery: DeliveryOptions
  /** Sizes run through the virtual-time model only. */
  modelled: readonly number[]
}

const count = (n: number) => n.toLocaleString('en-US')
const quotaText = (q: { perSecond: number; burst: number }) =>
  `${count(q.perSecond)}/s, burst ${count(q.burst)}`

/**
 * Broadcast completion time of one message in a large room: for real on dynalite (the service,
 * the memory queue, pollers running the worker handler, a rate-limited `@connections` endpoint)
 * at the sizes this machine can post, and in virtual time (bench/fanOutModel.ts) up to 100,000,
 * against the floor the account-wide posting quota sets.
 */
export async function largeRoomBroadcast(
  env: BenchEnvironment,
  options: LargeRoomBroadcastOptions,
): Promise<Section> {
  const rows: string[][] = []
  const checks: Section['checks'] = []
  const { delivery } = options
  for (const testCase of options.real) {
    const result = await measureLargeRoomDelivery(env, testCase, delivery)
    const ratio = result.completionMs / result.floorMs
    rows.push([
      count(result.subscribers),
      `**measured** (median of ${result.rounds}: ${result.completions.map((ms) => seconds(ms)).join(', ')} s)`,
      quotaText(result.quota),
      seconds(result.completionMs),
      count(Math.round(result.postsPerSecond)),
      count(Math.round(result.throttled)),
      seconds(result.floorMs),
      `${ratio.toFixed(2)}×`,
    ])
    // Where the quota binds (the broadcast needs more than the burst), the queue and the workers
    // must get close to what it allows; below that, this machine's CPU is the limit, not the
    // design, and the check is that every member got the message in a bounded time.
    const quotaBound = result.subscribers > result.quota.burst * 2
    const label = `${count(result.subscribers)} subscribers, quota ${quotaText(result.quota)}`
    if (quotaBound) {
      checks.push({
        name: `large-room broadcast (measured), ${label}: completion ÷ the quota's floor (×)`,
        value: ratio,
        target: 1.25,
        better: 'lower',
      })
    } else if (result.subscribers <= 1_000) {
      // 65 jobs of ~15 posts each: per-job overhead (a receive, a shard read, a delete), not
      // posting, sets the time; the promise is that a mid-sized large room hears within 2 s.
      checks.push({
        name: `large-room broadcast (measured), ${label}: completion (s)`,
        value: result.completionMs / 1000,
        target: 2,
        better: 'lower',
      })
    } else {
      // This machine's CPU is the limit (its 2 cores also run dynalite and the endpoint): at
      // least twice what one invocation with 16 posts in flight managed before Scale I (~480/s).
      checks.push({
        name: `large-room broadcast (measured), ${label}: posts/s delivered`,
        value: result.postsPerSecond,
        target: 1_000,
        better: 'higher',
      })
    }
  }
  const model = modelledBroadcastRows(options.modelled)
  rows.push(...model.rows)
  checks.push(...model.checks)
  return {
    title: 'Large-room broadcast (measured on dynalite, and modelled in virtual time)',
    description: [
      '**Measured** rows: one `sendMessage` in a large room (S = ' +
        delivery.shards +
        ') on dynalite through the chat service with `fanOut` on the in-process',
      `memory queue, ${delivery.workers} queue pollers (the template's reserved concurrency of 10 scaled to this 2-core machine, which also runs dynalite;`,
      `each poller its own worker handler, as each Lambda execution environment has its own sockets) taking ${delivery.batchSize} job(s) an invocation,`,
      `posting to an \`@connections\` endpoint (a child process) that answers after ${delivery.latencyMs} ms and enforces the account quota as a token bucket`,
      '(over it: 429 `LimitExceededException`, retried by the SDK, then by the worker with backoff, then as a retry job on the queue).',
      "Completion runs from the call to the last member's delivery (the endpoint counts distinct connections), after one uncounted warm-up broadcast; posts/s = subscribers ÷ completion;",
      'throttled = posts answered 429. The row at 1,000/s is the 100k-at-10,000/s case scaled by ten in both, so that the quota and not this',
      "machine's CPU is the limit.",
      model.description,
      "The floor is what the quota alone allows: (subscribers − burst) ÷ rate + one post's latency; no data layer gets under it.",
    ].join(' '),
    header: [
      'subscribers',
      'how',
      'quota',
      'completion (s)',
      'posts/s',
      'posts throttled (429)',
      'quota floor (s)',
      'completion ÷ floor',
    ],
    rows,
    checks,
  }
}
