import { createHash } from 'node:crypto'
import type { Migration } from './types.js'

/**
 * The checksum the ledger keeps for a migration: sha256 of its declared `checksum` string, or
 * of the source text of its `up` and `down` with whitespace removed (so reformatting alone is
 * not drift). Declare `checksum` when the same migration runs both from TypeScript and from
 * compiled JavaScript: the two compilers print function bodies differently.
 *
 * @example
 * migrationChecksum({ version: 1, name: 'x', description: '', checksum: 'x/1', up }) // 'c7f1…'
 */
export function migrationChecksum(migration: Migration): string {
  const source =
    migration.checksum !== undefined
      ? `declared:${migration.checksum}`
      : `source:${normalize(String(migration.up))}\n${normalize(String(migration.down ?? ''))}`
  return createHash('sha256').update(source).digest('hex')
}

function normalize(source: string): string {
  return source.replace(/\s+/g, '')
}
