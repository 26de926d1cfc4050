import { Entity } from 'dynamodb-toolbox/entity'
import { item } from 'dynamodb-toolbox/schema/item'
import { number } from 'dynamodb-toolbox/schema/number'
import { string } from 'dynamodb-toolbox/schema/string'
import { migrationLockKey } from '../keys.js'
import type { ChatTable } from '../table.js'

/**
 * The migration lock (src/migrator/types.ts `LockInfo`): `{ pk: "Migration", sk: "#lock",
 * _et: "MigrationLock", owner, acquiredAt, leaseUntil }` while a run holds it, beside the ledger.
 * One per table: its key takes no attribute.
 */
export function createMigrationLockEntity(table: ChatTable) {
  return new Entity({
    name: 'MigrationLock',
    table,
    timestamps: false,
    schema: item({
      owner: string(),
      acquiredAt: number(),
      leaseUntil: number(),
    }),
    computeKey: () => migrationLockKey(),
  })
}

export type MigrationLockEntity = ReturnType<typeof createMigrationLockEntity>
