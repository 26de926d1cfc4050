import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi'
import { httpTimeouts } from '../../src/client.js'
import { createBroadcaster, DEFAULT_POST_CONCURRENCY } from '../../src/lambda/broadcaster.js'
import { LAMBDA_MANAGEMENT_TIMEOUT_MS } from '../../src/lambda/index.js'
import { createManagementClient } from '../../src/lambda/managementClient.js'
import type { ServerFrame } from '../../src/protocol/frames.js'
import { median } from '../harness.js'
import type { Section } from '../report.js'
import { startSlowConnectionsEndpoint } from '../slowConnectionsEndpoint.js'

export interface BroadcastThroughputOptions {
  /** Posts in flight to compare; the default is added if missing. */
  inFlight: readonly number[]
  /** Recipients of each broadcast. */
  subscribers: number
  /** How long the endpoint takes to answer each post (ms). */
  latencyMs: number
  /** Broadcasts measured per row (the median is reported). */
  rounds: number
}

const silent = { error: () => {}, warn: () => {} }
const credentials = { accessKeyId: 'bench', secretAccessKey: 'bench' }

interface Variant {
  label: string
  inFlight: number
  client: (endpoint: string) => ApiGatewayManagementApiClient
}

/**
 * Posts per second of one invocation's broadcast: `createBroadcaster` over the management client
 * built as the router builds it (`createManagementClient`, the Lambda's timeout and attempts,
 * sockets = posts in flight), posting one `newMessage` frame to `subscribers` connections of an
 * `@connections` endpoint that answers after `latencyMs`. The endpoint runs in a child process,
 * so the CPU figures are the client's alone. A first row builds the client as the router did
 * before (16 in flight, the SDK's middleware resolved per post, its default 50 sockets).
 */
export async function broadcastThroughput(options: BroadcastThroughputOptions): Promise<Section> {
  const { subscribers, latencyMs, rounds } = options
  const counts = [...new Set([...options.inFlight, DEFAULT_POST_CONCURRENCY])].sort((a, b) => a - b)
  const variants: Variant[] = [
    {
      label: '16 (before: SDK defaults)',
      inFlight: 16,
      client: (endpoint) =>
        new ApiGatewayManagementApiClient({
          endpoint,
          region: 'local',
          credentials,
          maxAttempts: 3,
          requestHandler: httpTimeouts(LAMBDA_MANAGEMENT_TIMEOUT_MS),
        }),
    },
    ...counts.map((inFlight) => ({
      label: `${inFlight}${inFlight === DEFAULT_POST_CONCURRENCY ? ' (default)' : ''}`,
      inFlight,
      client: (endpoint: string) =>
        createManagementClient({
          endpoint,
          region: 'local',
          credentials,
          timeoutMs: LAMBDA_MANAGEMENT_TIMEOUT_MS,
          maxAttempts: 3,
          maxSockets: inFlight,
        }),
    })),
  ]
  const endpoint = await startSlowConnectionsEndpoint(latencyMs)
  const frame: ServerFrame = {
    type: 'newMessage',
    roomName: 'general',
    message: { id: 'Xk4b1FZuIAMF9xA=', userName: 'ada', message: 'hello, everyone', time: 1_800_000_000_000 },
  }
  const deliveries = Array.from({ length: subscribers }, (_, i) => ({
    connectionId: `Conn${String(i).padStart(8, '0')}=`,
    frame,
  }))
  const rows: string[][] = []
  const rates = new Map<Variant, number>()
  try {
    for (const variant of variants) {
      const { inFlight } = variant
      const client = variant.client(endpoint.endpoint)
      const broadcaster = createBroadcaster({
        client,
        onGone: async () => {},
        concurrency: inFlight,
        logger: silent,
      })
      // A warm execution environment: its sockets are open and the SDK's lazy setup is done.
      await broadcaster.post(deliveries.slice(0, inFlight * 4))
      const perRound: number[] = []
      const cpuPerPost: number[] = []
      let maxInFlight = 0
      for (let round = 0; round < rounds; round++) {
        await endpoint.reset()
        const cpu = process.cpuUsage()
        const started = performance.now()
        const report = await broadcaster.post(deliveries)
        const seconds = (performance.now() - started) / 1000
        const used = process.cpuUsage(cpu)
        const stats = await endpoint.stats()
        if (report.delivered.length !== subscribers || stats.posts !== subscribers) {
          throw new Error(`broadcast delivered ${report.delivered.length}, endpoint saw ${stats.posts}`)
        }
        perRound.push(subscribers / seconds)
        cpuPerPost.push((used.user + used.system) / 1000 / subscribers)
        maxInFlight = Math.max(maxInFlight, stats.maxInFlight)
      }
      client.destroy()
      const rate = median(perRound)
      const cpu = median(cpuPerPost)
      rates.set(variant, rate)
      rows.push([
        variant.label,
        String(maxInFlight),
        Math.round(rate).toLocaleString('en-US'),
        Math.round((inFlight * 1000) / latencyMs).toLocaleString('en-US'),
        ((subscribers / rate) * 1000).toFixed(0),
        cpu.toFixed(3),
        Math.round(1 / cpu / 1e-3).toLocaleString('en-US'),
      ])
    }
  } finally {
    await endpoint.close()
  }
  const before = rates.get(variants[0] as Variant) ?? Number.NaN
  const atDefault = [...rates].find(([v]) => v.label.endsWith('(default)'))?.[1] ?? Number.NaN
  return {
    title: `Broadcast throughput per invocation (${subscribers.toLocaleString('en-US')} subscribers, ${latencyMs} ms per post)`,
    description:
      `One broadcast of a \`newMessage\` frame to ${subscribers.toLocaleString('en-US')} connections through ` +
      '`createBroadcaster` and the real `@aws-sdk/client-apigatewaymanagementapi` client, built as the router builds it ' +
      `(\`createManagementClient\`: sockets = posts in flight, keep-alive, middleware resolved once, the Lambda's timeout), ` +
      `against a local \`@connections\` endpoint in a child process that answers each post after ${latencyMs} ms. ` +
      'The first row builds the client as the router did before (16 in flight, middleware resolved per post). ' +
      `Median of ${rounds} broadcasts per row, sockets warm. "seen in flight" is the most posts the endpoint held at ` +
      'once; "ceiling" is in-flight ÷ latency; "client CPU" is this process\'s user + system CPU per post, and ' +
      '"CPU bound" the posts/s one core could sustain at that cost.',
    header: [
      'in flight',
      'seen in flight',
      'posts/s',
      'ceiling',
      'ms per broadcast',
      'client CPU ms/post',
      'CPU bound posts/s',
    ],
    rows,
    checks: [
      {
        name: `broadcast posts/s at ${latencyMs} ms, ${DEFAULT_POST_CONCURRENCY} in flight (default)`,
        value: atDefault,
        target: 1_500,
        better: 'higher',
      },
      { name: 'broadcast posts/s, default ÷ before', value: atDefault / before, target: 3, better: 'higher' },
    ],
  }
}
