/**
 * A virtual-time model of large rooms' broadcasts through the fan-out queue, for sizes no
 * machine here can post for real (100,000 subscribers). Time advances in steps of 0.1 ms; the
 * parts and their costs are stated in `FanOutModelInput`, each from the deployment's template
 * (bench/fanOutDeployment.ts), a measurement or an AWS page (docs/capacity.md), so the answer
 * moves when one of them does.
 *
 * The model: each message's jobs (the room's base partition, then one per shard) are on the
 * queue from the message's time on. Lambda's SQS event source takes them in batches of
 * `batchSize`, with `scaling.initialConcurrency` invocations at first and up to
 * `scaling.addedPerMinute` more per minute while jobs wait, never above
 * `scaling.maximumConcurrency`. An invocation on a new execution environment first pays
 * `coldStartMs`; environments stay warm afterwards. An invocation works its jobs at once (as the
 * worker's batch processor does): one shard read (`shardReadMs`), then posts to all their
 * connections with at most `inFlight` outstanding (the sockets its jobs share), each costing
 * `cpuPerPostMs` of the invocation's one CPU before it goes out and `postLatencyMs` on the wire,
 * and each needing a token of the account-wide posting quota (a bucket of `quotaBurst` tokens
 * refilled at `quotaPerSecond`). A post that finds the bucket empty waits for a token, as one
 * throttled and retried would (minus the retry's wasted round trip, so the model is a lower
 * bound on completion time).
 */
export interface FanOutModelInput {
  subscribers: number
  /** Subscription shards: one job each. */
  shards: number
  /** Members in the room's base partition (those from before it became large): one more job. */
  baseMembers?: number
  scaling: EventSourceScaling
  /** Jobs per invocation (the event source's BatchSize). */
  batchSize: number
  inFlight: number
  postLatencyMs: number
  cpuPerPostMs: number
  shardReadMs: number
  /** From enqueueing to a worker holding the batch (SQS long poll, Lambda invoke). */
  pickupMs: number
  /** Init duration of a new execution environment. */
  coldStartMs: number
  /** Environments already warm when the first message arrives (default 0). */
  warmEnvironments?: number
  quotaPerSecond: number
  quotaBurst: number
  /** Messages broadcast to the room (default 1), `messageIntervalMs` apart (default 0). */
  messages?: number
  messageIntervalMs?: number
  /** Stop the clock here, finished or not (default: when every post is answered). */
  horizonMs?: number
}

/** Lambda's SQS event source scaling (docs/capacity.md cites AWS's page). */
export interface EventSourceScaling {
  /** Concurrent batches when messages first arrive (AWS: five). */
  initialConcurrency: number
  /** Concurrent batches added per minute while messages wait (AWS: up to 300). */
  addedPerMinute: number
  /** The ceiling: the mapping's MaximumConcurrency, within the function's reserved concurrency. */
  maximumConcurrency: number
}

export interface FanOutModelResult {
  /** When the last post was answered (ms after the first message), or the horizon if cut there. */
  completionMs: number
  /** The floor the quota alone sets: (all posts − burst) ÷ rate, never below 0. */
  quotaFloorMs: number
  /** Posts answered. */
  posts: number
  /** Posts that had to wait for a quota token. */
  throttledPosts: number
  /** The most invocations running at once. */
  invocations: number
  /** New execution environments (each paid `coldStartMs`). */
  coldStarts: number
  /** When the event source reached its maximum concurrency; undefined if the jobs never needed it. */
  fullConcurrencyMs: number | undefined
  /** Messages every member of which has the message, and when the first of them got there. */
  messagesDelivered: number
  firstMessageMs: number | undefined
  /** Jobs still on the queue when the clock stopped, and the age of the oldest. */
  jobsWaiting: number
  oldestJobAgeMs: number
}

const STEP_MS = 0.1

interface Job {
  message: number
  connections: number
  enqueuedAt: number
}

interface Invocation {
  /** Connections left to post to, job by job, in the order the posts go out. */
  pending: Job[]
  readyAt: number
  cpuFreeAt: number
  /** Answer times (ascending) and messages of the posts in flight. */
  answers: number[]
  answerMessages: number[]
}

/** How long the event source takes from its first batches to its maximum with a steady backlog. */
export function timeToFullConcurrencyMs(scaling: EventSourceScaling): number {
  const initial = Math.min(scaling.initialConcurrency, scaling.maximumConcurrency)
  return ((scaling.maximumConcurrency - initial) / scaling.addedPerMinute) * 60_000
}

/** One message's jobs: the base partition's, then the shards' (connections spread evenly by the hash). */
function jobsOf(input: FanOutModelInput, message: number, at: number): Job[] {
  const base = Math.min(input.baseMembers ?? 0, input.subscribers)
  const rest = input.subscribers - base
  const shardJobs = Array.from({ length: input.shards }, (_, shard) => ({
    message,
    connections: Math.floor(rest / input.shards) + (shard < rest % input.shards ? 1 : 0),
    enqueuedAt: at,
  }))
  return base > 0 ? [{ message, connections: base, enqueuedAt: at }, ...shardJobs] : shardJobs
}

export function simulateFanOut(input: FanOutModelInput): FanOutModelResult {
  const messages = input.messages ?? 1
  const interval = input.messageIntervalMs ?? 0
  const horizon = input.horizonMs ?? Number.POSITIVE_INFINITY
  const { scaling } = input
  const queue: Job[] = []
  const remaining = Array.from({ length: messages }, () => input.subscribers)
  const running: Invocation[] = []
  let enqueued = 0
  let tokens = input.quotaBurst
  let now = 0
  let posts = 0
  let throttledPosts = 0
  let maxInvocations = 0
  let idleEnvironments = input.warmEnvironments ?? 0
  let coldStarts = 0
  let concurrency = Math.min(scaling.initialConcurrency, scaling.maximumConcurrency)
  let rampCredit = 0
  let fullConcurrencyMs = concurrency === scaling.maximumConcurrency ? 0 : undefined
  let messagesDelivered = 0
  let firstMessageMs: number | undefined
  let lastAnswerMs = 0
  let steps = 0
  const waitingForToken = new Set<Invocation>()

  const answered = (message: number, at: number) => {
    lastAnswerMs = Math.max(lastAnswerMs, at)
    remaining[message] = (remaining[message] as number) - 1
    if (remaining[message] === 0) {
      messagesDelivered++
      firstMessageMs ??= at
    }
  }

  /** Starts posts while the CPU has time in this step, a socket is free and the quota allows. */
  const startPosts = (invocation: Invocation) => {
    while (
      invocation.pending.length > 0 &&
      invocation.answers.length < input.inFlight &&
      invocation.cpuFreeAt <= now + STEP_MS
    ) {
      if (tokens < 1) {
        if (!waitingForToken.has(invocation)) {
          waitingForToken.add(invocation)
          throttledPosts++
        }
        return
      }
      waitingForToken.delete(invocation)
      tokens -= 1
      const job = invocation.pending[0] as Job
      const start = Math.max(now, invocation.cpuFreeAt)
      invocation.cpuFreeAt = start + input.cpuPerPostMs
      invocation.answers.push(invocation.cpuFreeAt + input.postLatencyMs)
      invocation.answerMessages.push(job.message)
      if (--job.connections === 0) invocation.pending.shift()
    }
  }

  while (now < horizon) {
    while (enqueued < messages && enqueued * interval <= now) {
      queue.push(...jobsOf(input, enqueued, enqueued * interval))
      enqueued++
    }
    if (enqueued === messages && queue.length === 0 && running.length === 0) break
    // The event source adds pollers only while jobs wait for one.
    if (queue.length > 0 && running.length >= concurrency && concurrency < scaling.maximumConcurrency) {
      rampCredit += (scaling.addedPerMinute * STEP_MS) / 60_000
      if (rampCredit >= 1) {
        rampCredit -= 1
        concurrency++
        if (concurrency === scaling.maximumConcurrency) fullConcurrencyMs = now
      }
    }
    while (running.length < concurrency && queue.length > 0) {
      const batch = queue.splice(0, input.batchSize)
      const cold = idleEnvironments === 0
      if (cold) coldStarts++
      else idleEnvironments--
      running.push({
        // An empty shard's job costs its read, and no post.
        pending: batch.filter((job) => job.connections > 0),
        readyAt: now + input.pickupMs + (cold ? input.coldStartMs : 0) + input.shardReadMs,
        cpuFreeAt: 0,
        answers: [],
        answerMessages: [],
      })
    }
    tokens = Math.min(input.quotaBurst, tokens + (input.quotaPerSecond * STEP_MS) / 1000)
    maxInvocations = Math.max(maxInvocations, running.length)
    for (let r = running.length - 1; r >= 0; r--) {
      const invocation = running[r] as Invocation
      while ((invocation.answers[0] ?? Number.POSITIVE_INFINITY) <= now) {
        answered(invocation.answerMessages.shift() as number, invocation.answers.shift() as number)
        posts++
      }
      if (invocation.readyAt <= now && invocation.pending.length === 0 && invocation.answers.length === 0) {
        running.splice(r, 1)
        idleEnvironments++
      }
    }
    // The quota's tokens go round the invocations, a different one first each step: the account's
    // bucket serves whoever asks, it favours no caller.
    for (let i = 0; i < running.length; i++) {
      const invocation = running[(i + steps) % running.length] as Invocation
      if (invocation.readyAt <= now) startPosts(invocation)
    }
    steps++
    now += STEP_MS
  }
  const totalPosts = messages * input.subscribers
  return {
    completionMs: messagesDelivered === messages ? lastAnswerMs : now,
    quotaFloorMs: (Math.max(0, totalPosts - input.quotaBurst) / input.quotaPerSecond) * 1000,
    posts,
    throttledPosts,
    invocations: maxInvocations,
    coldStarts,
    fullConcurrencyMs,
    messagesDelivered,
    firstMessageMs,
    jobsWaiting: queue.length,
    oldestJobAgeMs: queue.length === 0 ? 0 : now - (queue[0] as Job).enqueuedAt,
  }
}
