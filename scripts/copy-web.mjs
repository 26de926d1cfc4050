#!/usr/bin/env node
// tsc compiles .ts only; the chat page's files (cli/gateway/web/) are served from beside the
// compiled gateway, so the build copies them to dist/cli/gateway/web/ and the package ships them.
import { cpSync } from 'node:fs'

cpSync(
  new URL('../cli/gateway/web/', import.meta.url),
  new URL('../dist/cli/gateway/web/', import.meta.url),
  {
    recursive: true,
  },
)
