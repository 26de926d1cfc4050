import { Entity } from 'dynamodb-toolbox/entity'
import { any } from 'dynamodb-toolbox/schema/any'
import { boolean } from 'dynamodb-toolbox/schema/boolean'
import { item } from 'dynamodb-toolbox/schema/item'
import { list } from 'dynamodb-toolbox/schema/list'
import { map } from 'dynamodb-toolbox/schema/map'
import { number } from 'dynamodb-toolbox/schema/number'
import { record } from 'dynamodb-toolbox/schema/record'
import { string } from 'dynamodb-toolbox/schema/string'
import { ledgerKey } from '../keys.js'
import type { ChatTable } from '../table.js'

/** A phase's progress: `lastKey` is whatever key DynamoDB handed back (any attribute types), or null. */
const phaseCheckpoint = map({
  done: boolean(),
  scanned: number(),
  changed: number(),
  segments: list(
    map({ lastKey: any().castAs<Record<string, unknown> | null>(), done: boolean() }),
  ).optional(),
})

/**
 * The migrator's record of one migration version (src/migrator/types.ts `LedgerEntry`):
 * `{ pk: "Migration", sk: "version|000001", _et: "MigrationLedger", version, name, … }`, one item
 * per version in the table the ledger is kept in (the chat table by default). No `data`: the GSI
 * never sees it. `checkpoints` and the counters are optional here because the first ledger
 * items were written without them; the ledger reads them as empty.
 */
export function createMigrationLedgerEntity(table: ChatTable) {
  return new Entity({
    name: 'MigrationLedger',
    table,
    timestamps: false,
    schema: item({
      version: number().key(),
      name: string(),
      checksum: string(),
      status: string().enum('running', 'applied', 'failed', 'rolled-back'),
      direction: string().enum('up', 'down'),
      startedAt: number(),
      finishedAt: number().optional(),
      itemsScanned: number().optional(),
      itemsChanged: number().optional(),
      ranBy: string(),
      checkpoints: record(string(), phaseCheckpoint).optional(),
      error: string().optional(),
      previousChecksum: string().optional(),
    }),
    computeKey: ({ version }) => ledgerKey(version),
  })
}

export type MigrationLedgerEntity = ReturnType<typeof createMigrationLedgerEntity>
