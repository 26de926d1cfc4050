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

describe('architecture', () => {
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
