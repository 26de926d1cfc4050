import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { medianOf } from '../harness.js'
import type { Section } from '../report.js'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../..', import.meta.url))

/** Bundles with exactly the settings of `npm run build:lambda`, so the two bundles differ only in code. */
async function bundle(entry: string, outfile: string) {
  // Loaded from the repository root: this file runs compiled, from dist/bench/measures.
  type BuildLambda = typeof import('../../scripts/build-lambda.mjs').buildLambda
  const { buildLambda } = (await import(`${root}/scripts/build-lambda.mjs`)) as { buildLambda: BuildLambda }
  return buildLambda({ entry, outfile })
}

/** Milliseconds to import `file` in a new Node process (handler modules build their clients at import). */
async function coldImport(file: string): Promise<number> {
  const script = `const t = performance.now(); await import(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t))`
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: {
      ...process.env,
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  })
  return Number(stdout)
}

/** Bundle size and cold import time of the router vs a minimal raw-SDK sendMessage handler. */
export async function coldStart(rounds: number): Promise<Section> {
  const chatdbFile = `${root}/dist/bench-bundles/router.mjs`
  const rawFile = `${root}/dist/bench-bundles/raw.mjs`
  const { bytes: chatdbBytes, lazyBytes } = await bundle(`${root}/src/lambda/routes.ts`, chatdbFile)
  const { bytes: rawBytes } = await bundle(`${root}/bench/rawHandler.ts`, rawFile)
  let chatdbTotal = 0
  let rawTotal = 0
  const importRatio = await medianOf(rounds, async (round) => {
    // Alternate which goes first, so the file cache and the CPU's state favour neither.
    const chatdbFirst = round % 2 === 0
    const firstMs = await coldImport(chatdbFirst ? chatdbFile : rawFile)
    const secondMs = await coldImport(chatdbFirst ? rawFile : chatdbFile)
    const [chatdbMs, rawMs] = chatdbFirst ? [firstMs, secondMs] : [secondMs, firstMs]
    chatdbTotal += chatdbMs
    rawTotal += rawMs
    return chatdbMs / rawMs
  })
  return {
    title: 'Lambda cold start',
    description:
      `esbuild bundles (minified, ESM, target node22, AWS SDK included); import time of the bundle in a fresh Node ` +
      `process (${rounds} alternating runs; means, and the median of per-run ratios). The raw handler is a minimal ` +
      'sendMessage written against the SDK (bench/rawHandler.ts). The router loads its SQS adapter (a bundle of ' +
      `its own, ${(lazyBytes / 1024).toFixed(0)} KiB) only on a large room's first publish: not part of the cold import.`,
    header: ['bundle', 'size (KiB)', 'cold import (ms)', 'ratio'],
    rows: [
      [
        'chatdb router (all routes)',
        (chatdbBytes / 1024).toFixed(0),
        (chatdbTotal / rounds).toFixed(1),
        importRatio.toFixed(2),
      ],
      ['raw-SDK sendMessage handler', (rawBytes / 1024).toFixed(0), (rawTotal / rounds).toFixed(1), '1.00'],
    ],
    checks: [{ name: 'cold import vs raw handler', value: importRatio, target: 1.3, better: 'lower' }],
  }
}
