import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

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
})
