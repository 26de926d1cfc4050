#!/usr/bin/env node
// The AWS SDK warns on Node 20 when it loads; silence it before anything imports the SDK, which is
// why everything else is imported dynamically below.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

const { run } = await import('./configure.js')
const code = await run(process.argv.slice(2))
if (code !== 0) process.exitCode = code
