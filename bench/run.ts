import { readFileSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { startBenchEnvironment } from './env.js'
import type { CompareOptions } from './harness.js'
import { coldStart } from './measures/coldStart.js'
import { disconnectStorm } from './measures/disconnectStorm.js'
import { fanOut } from './measures/fanOut.js'
import { historyGrowth } from './measures/historyGrowth.js'
import { libraryOverhead } from './measures/libraryOverhead.js'
import { routeRequests } from './measures/routeRequests.js'
import { writeThroughput } from './measures/writeThroughput.js'
import { passes, renderReport, type Section } from './report.js'

/**
 * `npm run bench` measures everything and writes docs/benchmarks.md.
 * `npm run bench -- --quick` runs small sizes in well under a minute and prints the report.
 * `--only=<text>` runs only the sections whose name contains it and prints the report.
 */
async function main() {
  const quick = process.argv.includes('--quick')
  const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length)
  const compareOptions: CompareOptions = quick
    ? { rounds: 3, time: 150, warmup: 3 }
    : { rounds: 7, time: 500, warmup: 10 }
  const env = await startBenchEnvironment()
  const sections: Section[] = []
  const step = async (name: string, run: () => Promise<Section>) => {
    if (only !== undefined && !name.includes(only)) return
    const started = performance.now()
    process.stderr.write(`bench: ${name}…`)
    sections.push(await run())
    process.stderr.write(` ${((performance.now() - started) / 1000).toFixed(1)} s\n`)
  }
  try {
    await step('requests per route', () => routeRequests(env))
    await step('sendMessage fan-out', () =>
      fanOut(env, quick ? [10, 100] : [10, 100, 1_000], 10_000, compareOptions),
    )
    await step('library overhead', () => libraryOverhead(env, compareOptions))
    await step('history growth', () =>
      historyGrowth(env, quick ? [100, 1_000, 10_000] : [100, 10_000, 100_000], compareOptions),
    )
    await step('write throughput', () => writeThroughput(env, quick ? 2_000 : 10_000, quick ? 3 : 5))
    await step('cold start', () => coldStart(quick ? 4 : 10))
    await step('disconnect storm', () => disconnectStorm(env, quick ? 1_000 : 10_000, quick ? 100 : 200))
  } finally {
    await env.close()
  }
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    dependencies: Record<string, string>
    devDependencies: Record<string, string>
  }
  const versions = ['dynamodb-toolbox', '@aws-sdk/client-dynamodb', 'dynalite', 'tinybench', 'esbuild']
    .map((name) => `${name} ${pkg.dependencies[name] ?? pkg.devDependencies[name]}`)
    .join(', ')
  const machine = [
    `Node ${process.version} on ${process.platform}/${process.arch}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
    `dynalite in-process (in memory); ${quick ? 'quick sizes' : 'full sizes'}; run ${new Date().toISOString()}`,
    versions,
  ]
  // Hand-written notes on what profiling found, kept beside the code that measures it.
  const findings = readFileSync(new URL('../../bench/findings.md', import.meta.url), 'utf8')
  const report = renderReport(sections, machine, findings)
  if (quick || only !== undefined) process.stdout.write(report)
  else writeFileSync(new URL('../../docs/benchmarks.md', import.meta.url), report)
  const missed = sections.flatMap((s) => s.checks).filter((c) => !passes(c))
  process.stderr.write(
    `bench: ${missed.length === 0 ? 'every target met' : `${missed.length} target(s) missed`}\n`,
  )
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  )
  process.exitCode = 1
})
