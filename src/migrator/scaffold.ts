import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { MigrationError } from './errors.js'

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/
const FILE = /^(\d+)_[a-z0-9-]+\.ts$/
const ADD_MARKER = '// chatdb migrate create: new migrations are added above this line'

/**
 * Writes `migrations/<NNN>_<name>.ts` from a template (the next version) and adds it to the
 * explicit list in `migrations/index.ts`, above its marker line.
 *
 * @example
 * const { file, version } = await createMigrationFile({ dir: 'migrations', name: 'room-topics' })
 */
export async function createMigrationFile({
  dir,
  name,
  typesFrom = 'chatdb',
}: {
  dir: string
  name: string
  /** Where the template imports the `Migration` type from (a relative path inside chatdb). */
  typesFrom?: string
}): Promise<{ file: string; version: number; indexUpdated: boolean }> {
  if (!NAME.test(name)) {
    throw new MigrationError(
      'migration.invalidOption',
      `migration name must be kebab-case letters and digits (like "room-topics"), got "${name}"`,
    )
  }
  let files: string[]
  try {
    files = await readdir(dir)
  } catch {
    throw new MigrationError('migration.invalidOption', `no migrations directory at ${dir}`)
  }
  if (files.some((file) => file.replace(/^\d+_/, '') === `${name}.ts`)) {
    throw new MigrationError('migration.exists', `a migration named "${name}" already exists in ${dir}`)
  }
  const version = Math.max(0, ...files.map((file) => Number(FILE.exec(file)?.[1] ?? 0))) + 1
  const base = `${String(version).padStart(3, '0')}_${name}`
  const file = join(dir, `${base}.ts`)
  await writeFile(file, template(version, name, typesFrom), { flag: 'wx' })

  const indexFile = join(dir, 'index.ts')
  let index: string
  try {
    index = await readFile(indexFile, 'utf8')
  } catch {
    return { file, version, indexUpdated: false }
  }
  if (!index.includes(ADD_MARKER)) return { file, version, indexUpdated: false }
  const identifier = name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())
  const importLine = `import { migration as ${identifier} } from './${base}.js'\n`
  const updated = (importLine + index).replace(
    new RegExp(`^(\\s*)${escapeRegExp(ADD_MARKER)}`, 'm'),
    (_, indent: string) => `${indent}${identifier},\n${indent}${ADD_MARKER}`,
  )
  await writeFile(indexFile, updated)
  return { file, version, indexUpdated: true }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

function template(version: number, name: string, typesFrom: string): string {
  return `import type { Migration } from '${typesFrom}'

/**
 * ${name}: what this migration changes, and why.
 * Transforms must be idempotent: after a crash, pages since the last checkpoint run again.
 */
export const migration: Migration = {
  version: ${version},
  name: '${name}',
  description: '${name.replace(/-/g, ' ')}',

  async up(ctx) {
    await ctx.scanRewrite({
      phase: 'items',
      transform(item) {
        // Return { puts: [...], deletes: [...] } built with the entities, or undefined to skip.
        void item
        return undefined
      },
    })
  },

  async down(ctx) {
    void ctx
  },
}
`
}
