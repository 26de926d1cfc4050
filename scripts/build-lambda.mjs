#!/usr/bin/env node
// Bundles the Lambda router (src/lambda/index.ts) into one minified ESM file for the nodejs22.x
// runtime, AWS SDK included (the runtime's bundled SDK version is not ours to pin).
// The fan-out worker is a second export of the same bundle (`index.fanOutHandler`), not a second
// entry: the router will publish to the queue, so both need the SQS client, the repository and the
// broadcaster anyway; one artifact means one upload and both functions always run the same
// release of the job format (a publisher and a worker of different builds could disagree on it).
// Output: dist/lambda/index.mjs (+ .map) and a package.json for `sam build`.
import { mkdirSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const outdir = join(root, 'dist', 'lambda')

export async function buildLambda({
  entry = join(root, 'src/lambda/index.ts'),
  outfile = join(outdir, 'index.mjs'),
} = {}) {
  mkdirSync(dirname(outfile), { recursive: true })
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    sourcemap: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    legalComments: 'none',
    // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __chatdbRequire } from 'node:module'; const require = __chatdbRequire(import.meta.url);",
    },
    logLevel: 'warning',
  })
  return { outfile, bytes: statSync(outfile).size }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { outfile, bytes } = await buildLambda()
  writeFileSync(
    join(outdir, 'package.json'),
    `${JSON.stringify({ name: 'chatdb-lambda', private: true, type: 'module', main: 'index.mjs' }, null, 2)}\n`,
  )
  process.stdout.write(`built ${outfile.slice(root.length + 1)} (${(bytes / 1024).toFixed(0)} KiB)\n`)
}
