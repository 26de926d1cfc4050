#!/usr/bin/env node
// Bundles the Lambda router (src/lambda/routes.ts) and the fan-out worker (src/lambda/worker.ts)
// into one minified ESM file each for the nodejs22.x runtime, AWS SDK included (the runtime's
// bundled SDK version is not ours to pin). Two entries, not two exports of one bundle: with the
// worker's code in it (the SQS client, the batch processor) the router's cold import took ~15%
// longer even when that code was only imported lazily (bench "Lambda cold start"). Both land in
// the one folder both functions deploy from, built together: the publisher and the worker always
// run the same release of the job format.
// Output: dist/lambda/index.mjs and worker.mjs (+ .map) and a package.json for `sam build`.
import { mkdirSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const outdir = join(root, 'dist', 'lambda')

export async function buildLambda({
  entry = join(root, 'src/lambda/routes.ts'),
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
  const built = [
    await buildLambda(),
    await buildLambda({ entry: join(root, 'src/lambda/worker.ts'), outfile: join(outdir, 'worker.mjs') }),
  ]
  writeFileSync(
    join(outdir, 'package.json'),
    `${JSON.stringify({ name: 'chatdb-lambda', private: true, type: 'module', main: 'index.mjs' }, null, 2)}\n`,
  )
  for (const { outfile, bytes } of built) {
    process.stdout.write(`built ${outfile.slice(root.length + 1)} (${(bytes / 1024).toFixed(0)} KiB)\n`)
  }
}
