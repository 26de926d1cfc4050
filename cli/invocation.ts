import { readFileSync } from 'node:fs'
import { join, resolve, sep } from 'node:path'
import { relativeOrAbsolute } from './localDir.js'

/**
 * The command that runs this CLI from the current directory, for commands printed to copy: `npx
 * chatdb` where npx finds it (a project that installed the package, or chatdb's own clone, whose
 * built bin npx runs), else `node <path of main.js>` (this CLI started from elsewhere).
 *
 * @example
 * `${cliInvocation()} inspect rooms --local` // 'npx chatdb inspect rooms --local'
 */
export function cliInvocation(): string {
  const script = process.argv[1] ?? ''
  if (script.split(sep).includes('node_modules')) return 'npx chatdb'
  return isOwnPackageRoot(process.cwd(), script) ? 'npx chatdb' : `node ${relativeOrAbsolute(script)}`
}

/** Whether `dir` is the root of the chatdb package that `script` belongs to. */
function isOwnPackageRoot(dir: string, script: string): boolean {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown }
    return manifest.name === 'chatdb' && resolve(script) === resolve(dir, 'dist/cli/main.js')
  } catch {
    return false
  }
}
