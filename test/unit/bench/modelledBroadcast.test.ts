import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { HOT_ROOM_STORM } from '../../../bench/deployedFanOut.js'
import { readFanOutDeployment } from '../../../bench/fanOutDeployment.js'
import { modelledBroadcastRows } from '../../../bench/measures/modelledBroadcast.js'
import { checkCells, tableRow } from '../../../bench/report.js'

const root = resolve(import.meta.dirname, '../../..')
/** A page with its line breaks and runs of spaces as single spaces, as a reader sees its prose. */
const page = (path: string) => readFileSync(resolve(root, path), 'utf8').replace(/\s+/g, ' ')
const benchmarks = readFileSync(resolve(root, 'docs/benchmarks.md'), 'utf8')
const capacity = page('docs/capacity.md')
/** Fails naming the phrase docs/capacity.md lacks, not printing the whole page. */
const expectQuoted = (phrase: string) =>
  expect(capacity.includes(phrase), `docs/capacity.md should say: ${phrase}`).toBe(true)

// The sizes `npm run bench` models (bench/run.ts).
const modelled = modelledBroadcastRows([1_000, 10_000, 100_000])
const seconds = (ms: number | undefined) => ((ms ?? Number.NaN) / 1000).toFixed(2)
const count = (n: number) => n.toLocaleString('en-US')

describe('modelledBroadcastRows', () => {
  it("are docs/benchmarks.md's modelled rows, description and targets, as the model computes them now", () => {
    const lines = benchmarks.split('\n')
    for (const row of modelled.rows) expect(lines).toContain(tableRow(row))
    for (const check of modelled.checks) expect(lines).toContain(tableRow(checkCells(check)))
    expect(benchmarks).toContain(modelled.description)
  })

  it('are the figures docs/capacity.md quotes for one broadcast, from cold and warm', () => {
    const broadcast = modelled.model.broadcasts.find(({ subscribers }) => subscribers === 100_000)
    if (!broadcast) throw new Error('no modelled 100,000-member broadcast')
    const { cold, warm, floorMs } = broadcast
    const ratio = (ms: number) => (ms / floorMs).toFixed(2)
    expectQuoted(
      `100,000 members in ${seconds(cold.completionMs)} s from cold (${ratio(cold.completionMs)}× the ${seconds(floorMs)} s floor; ${cold.invocations} invocations`,
    )
    expectQuoted(`${seconds(warm.completionMs)} s with warm environments (${ratio(warm.completionMs)}×)`)
    expectQuoted(
      `finishes 100,000 members at ${ratio(cold.completionMs)}× from cold (${seconds(cold.completionMs)} s) and ${ratio(warm.completionMs)}× warm (${seconds(warm.completionMs)} s)`,
    )
    expectQuoted(
      `100,000 members take ${seconds(cold.completionMs)} s, against ${seconds(warm.completionMs)} s warm`,
    )
  })

  it("are the figures docs/capacity.md quotes for the first minute of the hot room's storm", () => {
    const { storm, fullConcurrencyMs, inputs } = modelled.model
    const messages = HOT_ROOM_STORM.messagesPerSecond * HOT_ROOM_STORM.seconds
    expectQuoted(
      `reaches its ${inputs.scaling.maximumConcurrency} invocations after ${(fullConcurrencyMs / 1000).toLocaleString('en-US')} s`,
    )
    expectQuoted(`(${count(Math.round(storm.posts / HOT_ROOM_STORM.seconds))}/s answered)`)
    expectQuoted(
      `deliver ${storm.messagesDelivered} of the ${messages} messages to everyone (the first after ${seconds(storm.firstMessageMs)} s`,
    )
    expectQuoted(
      `${count(storm.jobsWaiting)} jobs wait on the queue, the oldest ${seconds(storm.oldestJobAgeMs)} s old`,
    )
  })

  it('are computed with the settings docs/capacity.md says the template has', () => {
    const deployment = readFanOutDeployment()
    expectQuoted(`(\`FanOutReservedConcurrency\`, ${deployment.reservedConcurrency})`)
    expectQuoted(`(\`FanOutBatchSize\`, ${deployment.batchSize} jobs an invocation`)
    expectQuoted(
      `(\`CHATDB_BROADCAST_CONCURRENCY\`, \`BroadcastConcurrency\`, ${deployment.postConcurrency};`,
    )
    expectQuoted(`(\`FanOutMemorySize\`, ${count(deployment.memoryMb)} MB:`)
    expectQuoted(`(\`CHATDB_LARGE_ROOM_SHARDS\`, ${deployment.shards} jobs`)
    expectQuoted(`\`CHATDB_LARGE_ROOM_THRESHOLD\`, ${count(deployment.largeRoomThreshold)}:`)
  })
})

/** The target column of a row of docs/benchmarks.md's partition-load section (hot room large). */
function partitionLoadTarget(keyClass: string, column: 'target RCU/s' | 'target WCU/s'): string {
  const start = benchmarks.indexOf(
    '## Partition load (busiest second per key class, extrapolated to the target; hot room large',
  )
  const section = benchmarks.slice(start, benchmarks.indexOf('\n## ', start + 1))
  const lines = section.split('\n').filter((line) => line.startsWith('| '))
  const cells = (line: string) => line.split(' | ').map((cell) => cell.replace(/^\| |\s*\|$/g, ''))
  const header = cells(lines[0] ?? '')
  const row = lines.map(cells).find((found) => found[0] === keyClass)
  if (!row) throw new Error(`docs/benchmarks.md has no partition-load row "${keyClass}"`)
  // As docs/capacity.md writes it: 15.0 → 15, 2,021,078 posts → 2,021,078.
  return Number((row[header.indexOf(column)] ?? '').replace(/,| posts/g, '')).toLocaleString('en-US')
}

describe('docs/capacity.md and the partition-load run of docs/benchmarks.md', () => {
  // Measured figures: no model computes them, but both pages must quote the same run.
  it('quote the same busiest keys and table total', () => {
    expectQuoted(`**${partitionLoadTarget("hot room's subscription partition", 'target RCU/s')} RCU/s,`)
    expectQuoted(
      `**busiest shard ${partitionLoadTarget("hot room's shard partitions", 'target RCU/s')} RCU/s, ${partitionLoadTarget("hot room's shard partitions", 'target WCU/s')} WCU/s`,
    )
    expectQuoted(
      `**${partitionLoadTarget('table total', 'target RCU/s')} RCU/s** (an upper bound: each kind's peak added), ${partitionLoadTarget('table total', 'target WCU/s')} WCU/s`,
    )
    expectQuoted(
      `**${partitionLoadTarget('@connections posts (account total)', 'target RCU/s')} posts/s: over`,
    )
  })
})
