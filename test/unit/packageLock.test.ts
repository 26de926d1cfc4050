import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const root = new URL('../../', import.meta.url)
const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8')) as {
  packages: Record<string, { engines?: { node?: string } }>
}
const manifest = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
  engines: { node: string }
}

type Version = [number, number, number]

/** `20.19` → [20, 19, 0]; `12.*` / `10.x` → [12, 0, 0] (with the wildcard told apart by `wildcard`). */
function parse(text: string): Version {
  const [major = 0, minor = 0, patch = 0] = text
    .split('.')
    .map((part) => (/^\d+$/.test(part) ? Number(part) : 0))
  return [major, minor, patch]
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2]
}

/** npm's engine ranges as they occur in lock files: `>=`, `>`, `<`, `<=`, `^`, `~`, `x.*`, `*`, `||`. */
function satisfies(version: Version, range: string): boolean {
  return range.split('||').some((alternative) =>
    alternative
      .trim()
      .replace(/(>=|<=|>|<|\^|~|=)\s+/g, '$1')
      .split(/\s+/)
      .every((comparator) => {
        if (comparator === '' || comparator === '*') return true
        const [, operator = '', rest = ''] = /^(>=|<=|>|<|\^|~|=)?(.*)$/.exec(comparator) ?? []
        const bound = parse(rest)
        // A bare partial version is an X-range: `20` is any 20.x.x, `12.*` any 12.x.x, `20.19` any 20.19.x.
        if (operator === '' || operator === '=') {
          const given = rest.split('.').filter((part) => /^\d+$/.test(part)).length
          return version.slice(0, given).every((part, index) => part === bound[index])
        }
        const order = compare(version, bound)
        switch (operator) {
          case '>=':
            return order >= 0
          case '>':
            return order > 0
          case '<=':
            return order <= 0
          case '<':
            return order < 0
          case '^':
            return order >= 0 && version[0] === bound[0]
          case '~':
            return order >= 0 && version[0] === bound[0] && version[1] === bound[1]
          default:
            return order === 0
        }
      }),
  )
}

describe('package-lock.json', () => {
  it('holds no package that refuses the oldest Node.js chatdb supports (npm ci prints no EBADENGINE)', () => {
    const oldest = parse(manifest.engines.node.replace(/^>=\s*/, ''))
    expect(oldest).toEqual([20, 19, 0])
    const refusing = Object.entries(lock.packages)
      .filter(([, entry]) => entry.engines?.node !== undefined && !satisfies(oldest, entry.engines.node))
      .map(([path, entry]) => `${path} (node ${entry.engines?.node})`)
    expect(refusing).toEqual([])
  })

  it('reads engine ranges as npm does', () => {
    expect(satisfies([20, 19, 0], '>=22')).toBe(false)
    expect(satisfies([20, 19, 0], '^20.19.0 || >=22.12.0')).toBe(true)
    expect(satisfies([20, 19, 0], '^20.0.0 || ^22.0.0 || >=24.0.0')).toBe(true)
    expect(satisfies([20, 19, 0], '10.* || >= 12.*')).toBe(true)
    expect(satisfies([20, 19, 0], '^10 || ^12 || >=14')).toBe(true)
    expect(satisfies([20, 19, 0], '^8.16.0 || ^10.6.0')).toBe(false)
    expect(satisfies([20, 19, 0], '18 || 20 || >=22')).toBe(true)
    expect(satisfies([20, 19, 0], '18 || >=22')).toBe(false)
    expect(satisfies([20, 19, 0], '20.18')).toBe(false)
    expect(satisfies([20, 19, 0], '20.19.0')).toBe(true)
  })
})
