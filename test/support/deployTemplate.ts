import { readFileSync } from 'node:fs'
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

export const templateUrl = new URL('../../deploy/template.yaml', import.meta.url)

/** deploy/template.yaml's text, and parsed with the short-form intrinsics in their long form. */
export function readDeployTemplate<T>(): { text: string; template: T } {
  const text = readFileSync(templateUrl, 'utf8')
  return { text, template: parse(text, { customTags: cloudFormationTags }) as T }
}
