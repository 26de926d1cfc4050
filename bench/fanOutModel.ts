/**
 * A virtual-time model of a large room's broadcast through the fan-out queue, for sizes no
 * machine here can post for real (100,000 subscribers). Time advances in steps of 0.1 ms; the
 * parts and their costs are stated in `FanOutModelInput`, each from a measurement or an AWS
 * quota (docs/capacity.md), so the answer moves when one of them does.
 *
 * The model: the message's jobs (one per shard) are on the queue at t = 0; up to
 * `workerConcurrency` worker invocations take `jobsPerInvocation` jobs each; an invocation
 * reads a job's shard (`shardReadMs`), then posts to its connections with at most `inFlight`
 * posts outstanding, each post costing `cpuPerPostMs` of the invocation's one CPU before it
 * goes out and `postLatencyMs` on the wire, and each needing a token of the account-wide
 * posting quota (a bucket of `quotaBurst` tokens refilled at `quotaPerSecond`). A post that
 * finds the bucket empty waits for a token, as one throttled and retried would (minus the
 * retry's wasted round trip, so the model is a lower bound on completion time).
 */
export interface FanOutModelInput {
  subscribers: number
  shards: number
  workerConcurrency: number
  jobsPerInvocation: number
  inFlight: number
  postLatencyMs: number
  cpuPerPostMs: number
  shardReadMs: number
  /** From enqueueing to a worker holding the batch (SQS long poll, Lambda invoke). */
  pickupMs: number
  quotaPerSecond: number
  quotaBurst: number
}

export interface FanOutModelResult {
  /** When the last post was answered (ms after the jobs were enqueued). */
  completionMs: number
  /** The floor the quota alone sets: (subscribers − burst) ÷ rate, never below 0. */
  quotaFloorMs: number
  posts: number
  /** Posts that had to wait for a quota token. */
  throttledPosts: number
  /** The most invocations running at once. */
  invocations: number
}

const STEP_MS = 0.1

interface Invocation {
  /** Connections left to post to in the current job, and jobs after it. */
  pending: number
  jobs: number[]
  readyAt: number
  cpuFreeAt: number
  /** Answer times of the posts in flight. */
  inFlight: number[]
}

export function simulateFanOut(input: FanOutModelInput): FanOutModelResult {
  const { subscribers, shards } = input
  // Connections spread evenly over the shards (a hash does it within a few percent).
  const jobs = Array.from(
    { length: shards },
    (_, shard) => Math.floor(subscribers / shards) + (shard < subscribers % shards ? 1 : 0),
  )
  let tokens = input.quotaBurst
  let now = 0
  let posts = 0
  let throttledPosts = 0
  let maxInvocations = 0
  const waitingForToken = new Set<Invocation>()
  const running: Invocation[] = []

  const startInvocation = (at: number) => {
    const batch = jobs.splice(0, input.jobsPerInvocation)
    if (batch.length === 0) return
    running.push({
      pending: 0,
      jobs: batch,
      readyAt: at + input.pickupMs,
      cpuFreeAt: 0,
      inFlight: [],
    })
  }
  for (let i = 0; i < input.workerConcurrency; i++) startInvocation(0)

  while (running.length > 0) {
    tokens = Math.min(input.quotaBurst, tokens + (input.quotaPerSecond * STEP_MS) / 1000)
    maxInvocations = Math.max(maxInvocations, running.length)
    for (let r = running.length - 1; r >= 0; r--) {
      const invocation = running[r] as Invocation
      invocation.inFlight = invocation.inFlight.filter((doneAt) => doneAt > now)
      if (invocation.readyAt > now) continue
      if (invocation.pending === 0 && invocation.inFlight.length === 0) {
        const next = invocation.jobs.shift()
        if (next === undefined) {
          running.splice(r, 1)
          // The worker takes the next batch off the queue.
          startInvocation(now)
          continue
        }
        invocation.pending = next
        invocation.readyAt = now + input.shardReadMs
        continue
      }
      // Start posts while the CPU has time in this step, a slot is free and the quota allows.
      while (
        invocation.pending > 0 &&
        invocation.inFlight.length < input.inFlight &&
        invocation.cpuFreeAt <= now + STEP_MS
      ) {
        if (tokens < 1) {
          if (!waitingForToken.has(invocation)) {
            waitingForToken.add(invocation)
            throttledPosts++
          }
          break
        }
        waitingForToken.delete(invocation)
        tokens -= 1
        const start = Math.max(now, invocation.cpuFreeAt)
        invocation.cpuFreeAt = start + input.cpuPerPostMs
        invocation.inFlight.push(invocation.cpuFreeAt + input.postLatencyMs)
        invocation.pending--
        posts++
      }
    }
    now += STEP_MS
  }
  return {
    completionMs: now,
    quotaFloorMs: (Math.max(0, subscribers - input.quotaBurst) / input.quotaPerSecond) * 1000,
    posts,
    throttledPosts,
    invocations: maxInvocations,
  }
}
