import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse, type Tags } from 'yaml'

// CloudFormation's short-form intrinsic functions, parsed into their long form.
const intrinsic = (tag: string, fn: string, kind: 'scalar' | 'seq') => ({
  tag,
  collection: kind === 'seq' ? ('seq' as const) : undefined,
  resolve: (value: unknown) => ({ [fn]: kind === 'seq' ? (value as { toJSON(): unknown }).toJSON() : value }),
})
export const cloudFormationTags: Tags = [
  intrinsic('!Ref', 'Ref', 'scalar'),
  intrinsic('!Sub', 'Fn::Sub', 'scalar'),
  intrinsic('!GetAtt', 'Fn::GetAtt', 'scalar'),
  intrinsic('!Join', 'Fn::Join', 'seq'),
  intrinsic('!Select', 'Fn::Select', 'seq'),
  intrinsic('!If', 'Fn::If', 'seq'),
  intrinsic('!Equals', 'Fn::Equals', 'seq'),
  intrinsic('!FindInMap', 'Fn::FindInMap', 'seq'),
] as Tags

/**
 * deploy/template.yaml, found from this module upwards: the tests load it from the sources
 * (bench/), the bench compiled (dist/bench/), so no fixed relative path fits both.
 */
function findTemplate(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const candidate = join(dir, 'deploy', 'template.yaml')
    if (existsSync(candidate)) return candidate
    const parent = dirname(dir)
    if (parent === dir) throw new Error('deploy/template.yaml not found above bench/deployTemplate')
    dir = parent
  }
}

export const templatePath = findTemplate()

/** deploy/template.yaml's text, and parsed with the short-form intrinsics in their long form. */
export function readDeployTemplate<T>(): { text: string; template: T } {
  const text = readFileSync(templatePath, 'utf8')
  return { text, template: parse(text, { customTags: cloudFormationTags }) as T }
}
