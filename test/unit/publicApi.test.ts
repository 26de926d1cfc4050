import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')
const manifest = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types: string; default: string }>
}

/** The source module a built entry point comes from: `./dist/src/admin/index.js` → `src/admin/index.ts`. */
const sourceOf = (built: string) => resolve(root, built.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts'))

const entryPoints = Object.entries(manifest.exports).filter(
  (entry): entry is [string, { types: string; default: string }] => typeof entry[1] === 'object',
)

describe('public API', () => {
  describe('root export', () => {
    it('stays narrow: at most 60 runtime names', async () => {
      const names = Object.keys(await import('../../src/index.js'))
      expect(names.length).toBeGreaterThan(0)
      expect(names.length).toBeLessThanOrEqual(60)
    })

    it('carries what backend code composes, and leaves the tooling to the subpaths', async () => {
      const lib: Record<string, unknown> = await import('../../src/index.js')
      for (const name of [
        'createTable',
        'tableDefinition',
        'DEFAULT_TABLE_NAME',
        'createEntities',
        'keys',
        'createChatRepository',
        'ChatDbError',
        'isChatDbError',
        'createDocumentClient',
        'parseAction',
        'createChatService',
        'createBroadcaster',
      ]) {
        expect(lib[name], name).toBeDefined()
      }
      for (const name of [
        'describeError',
        'createRandom',
        'parseDuration',
        'keySchemaText',
        'createMigrator',
      ]) {
        expect(lib[name], name).toBeUndefined()
      }
    })
  })

  describe('package.json exports', () => {
    it('declares the root and the chatdb/admin, chatdb/lambda, chatdb/migrator and chatdb/migrations subpaths', () => {
      expect(entryPoints.map(([path]) => path).sort()).toEqual([
        '.',
        './admin',
        './lambda',
        './migrations',
        './migrator',
      ])
    })

    it.each(entryPoints)('%s: typed, built from a source module that loads', async (_, target) => {
      expect(target.types).toBe(target.default.replace(/\.js$/, '.d.ts'))
      const source = sourceOf(target.default)
      expect(existsSync(source), source).toBe(true)
      expect(Object.keys(await import(source)).length).toBeGreaterThan(0)
    })

    it('chatdb/migrator gives a migration everything it is written against', async () => {
      const migrator: Record<string, unknown> = await import(sourceOf(builtEntry('./migrator')))
      for (const name of [
        'createMigrator',
        'createDynamoLedger',
        'createDynamoLockStore',
        'createMemoryLedger',
        'createMemoryLockStore',
      ]) {
        expect(migrator[name], name).toBeDefined()
      }
    })

    it("chatdb/migrations gives chatdb's shipped list, which the migrator does not re-export (the list imports its types)", async () => {
      const shipped: Record<string, unknown> = await import(sourceOf(builtEntry('./migrations')))
      const migrator: Record<string, unknown> = await import(sourceOf(builtEntry('./migrator')))
      expect(Array.isArray(shipped.migrations)).toBe(true)
      expect((shipped.migrations as unknown[]).length).toBeGreaterThan(0)
      expect(migrator.migrations).toBeUndefined()
    })
  })
})

function builtEntry(path: string): string {
  const target = manifest.exports[path]
  if (typeof target !== 'object') throw new Error(`package.json has no "${path}" export`)
  return target.default
}
