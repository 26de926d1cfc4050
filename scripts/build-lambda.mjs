#!/usr/bin/env node
// Bundles the Lambda router (src/lambda/routes.ts) and the fan-out worker (src/lambda/worker.ts)
// into one minified ESM file each for the nodejs22.x runtime, AWS SDK included (the runtime's
// bundled SDK version is not ours to pin). Two entries, not two exports of one bundle: with the
// worker's code in it (the SQS client, the batch processor) the router's cold import took ~15%
// longer even when that code was only imported lazily (bench "Lambda cold start"). Both land in
// the one folder both functions deploy from, built together: the publisher and the worker always
// run the same release of the job format.
// The router publishes to SQS only for large rooms and loads its SQS adapter with a dynamic
// import on the first publish: that module (src/lambda/sqsFanOutQueue.ts) becomes a bundle of its
// own, sqsFanOutQueue.mjs beside the router's, which a cold start never reads. Not esbuild's code
// splitting: that also moves the code the adapter shares with the routes (most of the SDK's core)
// into chunks the router's entry imports statically: four files to load and link at every cold
// start where there was one. The adapter's own bundle repeats that core instead (docs/operations.md,
// "Large rooms: threshold, the router's fan-out queue, the local stack").
// Output: dist/lambda/index.mjs, sqsFanOutQueue.mjs and worker.mjs (+ .map) and a package.json
// for `sam build`.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const outdir = join(root, 'dist', 'lambda')

/** Modules the router imports dynamically that get a bundle of their own, by the name of its file. */
const LAZY_BUNDLES = { './sqsFanOutQueue.js': 'sqsFanOutQueue.mjs' }

/**
 * Leaves each dynamic import of a {@link LAZY_BUNDLES} module to its own bundle, next to the one
 * being built, and records it in `lazy` (module path → bundle file name) for the caller to build.
 */
const lazyBundles = (lazy) => ({
  name: 'chatdb-lazy-bundles',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^\.\/\w+\.js$/ }, ({ path, kind, resolveDir }) => {
      const file = LAZY_BUNDLES[path]
      if (kind !== 'dynamic-import' || !file) return undefined
      lazy.set(join(resolveDir, path.replace(/\.js$/, '.ts')), file)
      return { path: `./${file}`, external: true }
    })
  },
})

export async function buildLambda({
  entry = join(root, 'src/lambda/routes.ts'),
  outfile = join(outdir, 'index.mjs'),
} = {}) {
  mkdirSync(dirname(outfile), { recursive: true })
  const lazy = new Map()
  const { outputFiles } = await build({
    plugins: [lazyBundles(lazy)],
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
    write: false,
  })
  for (const file of outputFiles) writeAtomically(file.path, file.contents)
  const code = outputFiles.find((file) => file.path === outfile)?.text ?? ''
  let lazyBytes = 0
  for (const [module, file] of lazy) {
    // Resolved while esbuild scanned, but perhaps shaken off since (the worker imports the
    // adapter statically, and never the function that would load it).
    if (!code.includes(`"./${file}"`)) continue
    const built = await buildLambda({ entry: module, outfile: join(dirname(outfile), file) })
    lazyBytes += built.bytes + built.lazyBytes
  }
  return { outfile, bytes: Buffer.byteLength(code), lazyBytes }
}

/**
 * Writes through a temporary file and a rename, so a process that loads a bundle while another
 * build replaces it (the test projects of both engines build at once) reads a whole file.
 */
function writeAtomically(path, contents) {
  const temporary = `${path}.${process.pid}.tmp`
  writeFileSync(temporary, contents)
  renameSync(temporary, path)
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const built = [
    await buildLambda(),
    await buildLambda({ entry: join(root, 'src/lambda/worker.ts'), outfile: join(outdir, 'worker.mjs') }),
  ]
  writeAtomically(
    join(outdir, 'package.json'),
    `${JSON.stringify({ name: 'chatdb-lambda', private: true, type: 'module', main: 'index.mjs' }, null, 2)}\n`,
  )
  for (const { outfile, bytes, lazyBytes } of built) {
    const lazy = lazyBytes > 0 ? `, +${(lazyBytes / 1024).toFixed(0)} KiB loaded on first use` : ''
    process.stdout.write(
      `built ${outfile.slice(root.length + 1)} (${(bytes / 1024).toFixed(0)} KiB${lazy})\n`,
    )
  }
}
