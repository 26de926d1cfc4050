import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { MigrationError } from './errors.js'

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/
const FILE = /^(\d+)_[a-z0-9-]+\.ts$/
const ADD_MARKER = '// chatdb migrate create: new migrations are added above this line'

/**
 * Writes `migrations/<NNN>_<name>.ts` from a template and adds it to the explicit list in
 * `migrations/index.ts`, after its last import and above its marker line. The version follows
 * both the files in `dir` and `after` (the last version of the list the project's migrations
 * extend: chatdb's shipped ones end at 2, so a project's first migration is 3 and
 * `[...migrations, ...mine]` stays in increasing order). A missing `dir` is created; with
 * `listFrom`, a new directory also gets an `index.ts` that lists chatdb's migrations then the
 * project's.
 *
 * @example
 * const { file, version } = await createMigrationFile({ dir: 'migrations', name: 'room-topics', after: 2 })
 */
export async function createMigrationFile({
  dir,
  name,
  typesFrom = 'chatdb/migrator',
  after = 0,
  listFrom,
}: {
  dir: string
  name: string
  /** Where the template imports the `Migration` type from (`chatdb/migrator`, or a relative path inside chatdb). */
  typesFrom?: string
  /** The last version of the migrations the project's come after (chatdb's shipped list). */
  after?: number
  /** The module exporting chatdb's `migrations` (`chatdb/migrations`), for the `index.ts` of a new directory. */
  listFrom?: string
}): Promise<{ file: string; version: number; indexUpdated: boolean; indexCreated: boolean }> {
  if (!NAME.test(name)) {
    throw new MigrationError(
      'migration.invalidOption',
      `migration name must be kebab-case letters and digits (like "room-topics"), got "${name}"`,
    )
  }
  const files = await listOrCreate(dir)
  if (files.some((file) => file.replace(/^\d+_/, '') === `${name}.ts`)) {
    throw new MigrationError('migration.exists', `a migration named "${name}" already exists in ${dir}`)
  }
  const numbered = files.map((file) => Number(FILE.exec(file)?.[1] ?? 0))
  const version = Math.max(after, ...numbered) + 1
  const base = `${String(version).padStart(3, '0')}_${name}`
  const file = join(dir, `${base}.ts`)

  const indexFile = join(dir, 'index.ts')
  // Only a directory with no migration and no list of its own gets one: an existing project
  // may keep its list elsewhere, and two lists would drift apart.
  const indexCreated = listFrom !== undefined && !files.includes('index.ts') && numbered.every((n) => n === 0)
  await writeFile(file, template(version, name, typesFrom), { flag: 'wx' })
  if (indexCreated) await writeFile(indexFile, indexTemplate(listFrom, typesFrom), { flag: 'wx' })

  let index: string
  try {
    index = await readFile(indexFile, 'utf8')
  } catch {
    return { file, version, indexUpdated: false, indexCreated }
  }
  if (!index.includes(ADD_MARKER)) return { file, version, indexUpdated: false, indexCreated }
  const identifier = identifierFor(name)
  const importLine = `import { migration as ${identifier} } from './${base}.js'\n`
  // After the last import, so the imports stay sorted (the list's versions only grow).
  const imports = [...index.matchAll(/^import [\s\S]*?from '[^']*'\n/gm)]
  const last = imports.at(-1)
  const at = last ? (last.index ?? 0) + last[0].length : 0
  const withImport = index.slice(0, at) + importLine + index.slice(at)
  const updated = withImport.replace(
    new RegExp(`^(\\s*)${escapeRegExp(ADD_MARKER)}`, 'm'),
    (_, indent: string) => `${indent}${identifier},\n${indent}${ADD_MARKER}`,
  )
  await writeFile(indexFile, updated)
  return { file, version, indexUpdated: true, indexCreated }
}

async function listOrCreate(dir: string): Promise<string[]> {
  try {
    return await readdir(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new MigrationError(
        'migration.invalidOption',
        `cannot read the migrations directory ${dir}: ${(error as Error).message}`,
        { cause: error },
      )
    }
  }
  await mkdir(dir, { recursive: true })
  return []
}

// Names that cannot be an import binding, or that the index already binds.
const TAKEN = new Set(
  `break case catch class const continue debugger default delete do else enum export extends false finally
  for function if import in instanceof new null return super switch this throw true try typeof var void
  while with yield let static implements interface package private protected public await
  migrations chatdbMigrations Migration`.split(/\s+/),
)

/** `room-topics` → `roomTopics`; `delete` → `deleteMigration`. */
function identifierFor(name: string): string {
  const camel = name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())
  return TAKEN.has(camel) ? `${camel}Migration` : camel
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

function indexTemplate(listFrom: string, typesFrom: string): string {
  return `import type { Migration } from '${typesFrom}'
import { migrations as chatdbMigrations } from '${listFrom}'

/**
 * chatdb's migrations, then this project's, in order. An explicit list (not a directory scan)
 * so that bundlers keep it; \`chatdb migrate create <name>\` appends to it. Compile it, then run
 * \`chatdb migrate up --migrations <the compiled index.js>\`.
 */
export const migrations: readonly Migration[] = [
  ...chatdbMigrations,
  ${ADD_MARKER}
]
`
}
