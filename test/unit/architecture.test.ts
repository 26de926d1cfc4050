import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')
const layers = ['src', 'cli', 'migrations']

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : []
  })
}

const files = layers.flatMap((layer) => sourceFiles(join(root, layer)))
const rel = (path: string) => relative(root, path)

interface ImportLine {
  specifier: string
  /** The names imported at run time (`type` ones left out); empty for `import type`. */
  values: string[]
}

/** Every `import … from '…'`, `export … from '…'` and `import('…')` of a file, type-only ones included. */
function imports(path: string): ImportLine[] {
  const text = readFileSync(path, 'utf8')
  const found: ImportLine[] = []
  for (const match of text.matchAll(/^(?:import|export)\s+(type\s+)?([^'"]*?)\s*from\s+'([^']+)'/gm)) {
    const names = match[1] ? [] : (match[2] ?? '').replace(/[{}*]/g, ' ').split(',')
    const values = names.map((name) => name.trim()).filter((name) => name !== '' && !name.startsWith('type '))
    found.push({ specifier: match[3] ?? '', values })
  }
  for (const match of text.matchAll(/import\(\s*'([^']+)'\s*\)/g))
    found.push({ specifier: match[1] ?? '', values: ['*'] })
  return found
}

/** The local modules a file imports (relative specifiers, `.js` written for the `.ts` source). */
const graph = new Map(
  files.map((file) => [
    rel(file),
    imports(file)
      .filter(({ specifier }) => specifier.startsWith('.'))
      .map(({ specifier }) => rel(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')))),
  ]),
)

function cycles(): string[][] {
  const found: string[][] = []
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (node: string) => {
    state.set(node, 'open')
    stack.push(node)
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next])
      else if (!state.has(next)) visit(next)
    }
    stack.pop()
    state.set(node, 'done')
  }
  for (const node of graph.keys()) if (!state.has(node)) visit(node)
  return found
}

/**
 * The layers, from the ground up (docs/architecture.md, "The layers"). A file may import its own
 * part and any part of a lower layer; the parts of one layer stand side by side and never import
 * each other. A path ending in `/` is a folder.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['src/errors.ts', 'src/retention.ts'],
  ['src/util/', 'src/log/', 'src/table.ts', 'src/keys.ts'],
  ['src/client.ts', 'src/entities/', 'src/config/'],
  ['src/queue/'],
  ['src/validation.ts'],
  ['src/protocol/'],
  ['src/repository/'],
  ['src/fanout/', 'src/service/'],
  ['src/lambda/', 'src/admin/', 'src/migrator/'],
  ['src/index.ts', 'migrations/'],
  ['cli/'],
]

/** Where a file stands: its layer and its part, or undefined outside every part. */
function placeOf(path: string): { layer: number; part: string } | undefined {
  for (const [layer, parts] of LAYERS.entries()) {
    const part = parts.find((p) => (p.endsWith('/') ? path.startsWith(p) : path === p))
    if (part !== undefined) return { layer, part }
  }
  return undefined
}

/** Every import that points up or sideways, as `from → to (why)`. */
function importsAgainstTheLayers(edges: ReadonlyMap<string, readonly string[]>): string[] {
  const found: string[] = []
  for (const [from, targets] of edges) {
    const here = placeOf(from)
    for (const to of targets) {
      const there = placeOf(to)
      if (!here || !there || here.part === there.part || there.layer < here.layer) continue
      const why =
        there.layer > here.layer
          ? `up: ${here.part} (layer ${here.layer + 1}) imports ${there.part} (layer ${there.layer + 1})`
          : `sideways: ${here.part} and ${there.part} share layer ${here.layer + 1}`
      found.push(`${from} → ${to} (${why})`)
    }
  }
  return found.sort()
}

describe('architecture', () => {
  it('places every file of src/, cli/ and migrations/ in a layer', () => {
    expect([...graph.keys()].filter((file) => placeOf(file) === undefined)).toEqual([])
  })

  it('has every import point down the layers, never up or sideways (type-only imports count)', () => {
    expect(importsAgainstTheLayers(graph)).toEqual([])
  })

  it('names the file and the arrow of an import that points up or sideways', () => {
    const edges = new Map([
      ['src/fanout/worker.ts', ['src/service/types.ts', 'src/queue/types.ts']],
      ['src/protocol/actions.ts', ['src/repository/roomListing.ts']],
      ['src/service/chatService.ts', ['src/fanout/jobs.ts', 'src/protocol/frames.ts']],
    ])
    expect(importsAgainstTheLayers(edges)).toEqual([
      'src/fanout/worker.ts → src/service/types.ts (sideways: src/fanout/ and src/service/ share layer 8)',
      'src/protocol/actions.ts → src/repository/roomListing.ts (up: src/protocol/ (layer 6) imports src/repository/ (layer 7))',
      'src/service/chatService.ts → src/fanout/jobs.ts (sideways: src/service/ and src/fanout/ share layer 8)',
    ])
  })

  it('has no import cycle in src/, cli/ and migrations/ (type-only imports count)', () => {
    expect(graph.size).toBeGreaterThan(50)
    expect(cycles()).toEqual([])
  })

  it('lets only the modules docs/architecture.md names use the AWS SDK clients and commands', () => {
    const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8')
    const section = doc.slice(doc.indexOf('<!-- aws-sdk:start -->'), doc.indexOf('<!-- aws-sdk:end -->'))
    const allowed = new Set(
      [...section.matchAll(/`((?:src|cli|migrations)\/[\w/.-]+\.ts)`/g)].map((m) => m[1]),
    )
    expect(allowed.size).toBeGreaterThan(0)
    const importers = files
      .filter((file) =>
        imports(file).some(
          ({ specifier, values }) =>
            specifier.startsWith('@aws-sdk/') && values.some((name) => /(Client|Command|^\*)$/.test(name)),
        ),
      )
      .map(rel)
      .sort()
    expect(importers).toEqual([...allowed].sort())
  })

  it('keeps src/ free of imports from cli/ (the library never reaches up into the CLI)', () => {
    const upward = [...graph].filter(
      ([from, to]) => from.startsWith('src/') && to.some((t) => t.startsWith('cli/')),
    )
    expect(upward).toEqual([])
  })
})
