#!/usr/bin/env node
// tsc writes dist/cli/main.js as a plain 0644 file; `npx chatdb` (and a global install linked
// straight to dist/) execs it, so every `bin` entry of package.json must be executable. npm pack
// copies the mode into the tarball, which is why this runs as part of the build, not of install.
import { chmodSync, readFileSync } from 'node:fs'

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
const bins = typeof pkg.bin === 'string' ? [pkg.bin] : Object.values(pkg.bin ?? {})
for (const bin of bins) chmodSync(new URL(`../${bin}`, import.meta.url), 0o755)
