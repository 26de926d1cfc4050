import { isAbsolute, relative } from 'node:path'

/** The default directory of the embedded dynalite (`--local` without a value, and `dev`). */
export const DEFAULT_LOCAL_DIR = '.chatdb'

/** `path` relative to the current directory when it is inside it, else as given. */
export function relativeOrAbsolute(path: string): string {
  const rel = relative(process.cwd(), path)
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel
}

/**
 * The `--local` flag that names the embedded dynalite's directory `dir` again, as a person would
 * type it from here (for hints and printed commands): bare for the default directory.
 *
 * @example
 * localFlag(resolve('.chatdb')) // '--local'
 * localFlag('/tmp/x') // '--local=/tmp/x'
 */
export function localFlag(dir: string): string {
  const shown = relativeOrAbsolute(dir)
  return shown === DEFAULT_LOCAL_DIR ? '--local' : `--local=${shown}`
}
