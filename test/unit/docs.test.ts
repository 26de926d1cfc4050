import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { GATEWAY_MANAGEMENT_MAX_SOCKETS } from '../../cli/gateway/limits.js'
import { DEFAULT_POST_CONCURRENCY } from '../../src/config/settings.js'

const root = resolve(import.meta.dirname, '../..')
const pages = ['README.md', ...readdirSync(resolve(root, 'docs')).map((name) => `docs/${name}`)].filter(
  (page) => page.endsWith('.md'),
)
const read = (page: string) => readFileSync(resolve(root, page), 'utf8')

/** What test/integration/lambda/createRouter.test.ts asserts per route, steady state. */
const requestBudget: Record<string, number> = { subscribe: 4, sendMessage: 2, unsubscribe: 2, listRooms: 1 }

describe('docs', () => {
  it('link only to files that are in the repository', () => {
    const broken: string[] = []
    for (const page of pages) {
      for (const [, target = ''] of read(page).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target) || target.startsWith('#')) continue
        const file = target.split('#')[0] ?? ''
        if (!existsSync(resolve(root, dirname(page), file))) broken.push(`${page} → ${target}`)
      }
    }
    expect(broken).toEqual([])
  })

  it('name only Markdown files that are in the repository', () => {
    const present = new Set(pages.map((page) => basename(page)))
    const missing: string[] = []
    for (const page of pages) {
      for (const [name = ''] of read(page).matchAll(/\b[\w-]+\.md\b/g)) {
        if (!present.has(name)) missing.push(`${page}: ${name}`)
      }
    }
    expect(missing).toEqual([])
  })

  // Test files move with the source tree they mirror: a page naming the old path would send the
  // reader to a file that is gone.
  it('name only test files that are in the repository', () => {
    const missing: string[] = []
    for (const page of pages) {
      for (const [path = ''] of read(page).matchAll(/\btest\/[\w./-]+\.(?:ts|mjs)\b/g)) {
        if (!existsSync(resolve(root, path))) missing.push(`${page}: ${path}`)
      }
    }
    expect(missing).toEqual([])
  })

  it.each(['README.md', 'docs/protocol.md'])(
    '%s gives each route the request count the tests assert',
    (page) => {
      const stated: Record<string, number> = {}
      for (const [, route = '', count = ''] of read(page).matchAll(/^\| `(\w+)` \| (\d+)\b/gm)) {
        if (route in requestBudget) stated[route] = Number(count)
      }
      expect(stated).toEqual(requestBudget)
    },
  )

  it('docs/operations.md gives the broadcast settings the defaults the code has', () => {
    const rows = read('docs/operations.md')
      .split('\n')
      .filter(
        (line) =>
          line.startsWith('| posts in flight per broadcast |') || line.startsWith('| keep-alive sockets'),
      )
    const cells = (line: string) => line.split(' | ').map((cell) => cell.trim())
    const [limit, settings, sockets] = rows
    expect(cells(limit ?? '')[1]).toMatch(new RegExp(`^${DEFAULT_POST_CONCURRENCY} \\(`))
    expect(cells(settings ?? '').at(-1)).toBe(`${DEFAULT_POST_CONCURRENCY} |`)
    expect(cells(sockets ?? '').at(-1)).toMatch(
      new RegExp(`^the posts in flight; ${GATEWAY_MANAGEMENT_MAX_SOCKETS} in the local gateway`),
    )
  })
})
