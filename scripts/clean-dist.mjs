#!/usr/bin/env node
// Removes what `tsc -p tsconfig.build.json` emits, so a deleted source never lingers in dist/
// (and in the npm package). dist/lambda and dist/bench have builds of their own.
import { rmSync } from 'node:fs'

for (const dir of ['src', 'cli', 'migrations']) {
  rmSync(new URL(`../dist/${dir}`, import.meta.url), { recursive: true, force: true })
}
