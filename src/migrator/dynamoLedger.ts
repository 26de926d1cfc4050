import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { FormattedItem } from 'dynamodb-toolbox/entity'
import { PutItemCommand } from 'dynamodb-toolbox/entity/actions/put'
import { $set, UpdateItemCommand } from 'dynamodb-toolbox/entity/actions/update'
import { QueryCommand } from 'dynamodb-toolbox/table/actions/query'
import { createMigrationLedgerEntity, type MigrationLedgerEntity } from '../entities/migrationLedger.js'
import { LEDGER_SORT_PREFIX, MIGRATION_PARTITION } from '../keys.js'
import { allItems, type PageKey, pages } from '../repository/pager.js'
import { translateStoreError } from '../repository/storeErrors.js'
import { createTable } from '../table.js'
import type { LedgerEntry, MigrationLedger } from './types.js'

export { LEDGER_SORT_PREFIX, ledgerSortKey, MIGRATION_PARTITION } from '../keys.js'

/**
 * The ledger as items of the chat table itself (or of the table named), in the `Migration`
 * partition: one `MigrationLedger` entity item per version (src/entities/migrationLedger.ts).
 * `_et` lets entity counts name them; they have no `data`, so the GSI never sees them.
 *
 * @example
 * const ledger = createDynamoLedger({ documentClient, tableName: 'chat' })
 * const entries = await ledger.executed()
 */
export function createDynamoLedger({
  documentClient,
  tableName,
}: {
  documentClient: DynamoDBDocumentClient
  tableName: string
}): MigrationLedger {
  const Ledger = createMigrationLedgerEntity(createTable({ name: tableName, documentClient }))
  // The ledger's items, formatted by the entity. The key range holds nothing else: no entity filter.
  const query = Ledger.table
    .build(QueryCommand)
    .entities(Ledger)
    .query({ partition: MIGRATION_PARTITION, range: { beginsWith: LEDGER_SORT_PREFIX } })

  const ledger: MigrationLedger = {
    async executed() {
      const read = (exclusiveStartKey: PageKey | undefined) =>
        query.options({ consistent: true, exclusiveStartKey, entityAttrFilter: false }).send()
      return (await allItems(pages(read))).map(toEntry)
    },

    async log(entry) {
      await Ledger.build(PutItemCommand).item(plain(entry)).send()
    },

    async unlog(version, run) {
      await updateEntry(Ledger, version, {
        status: 'rolled-back',
        finishedAt: run.finishedAt ?? Date.now(),
        itemsScanned: run.itemsScanned,
        itemsChanged: run.itemsChanged,
        ranBy: run.ranBy,
        checkpoints: {},
      })
    },

    async saveCheckpoints(version, progress) {
      await updateEntry(Ledger, version, {
        checkpoints: progress.checkpoints,
        itemsScanned: progress.itemsScanned,
        itemsChanged: progress.itemsChanged,
      })
    },
  }
  return translateStoreError(ledger, { tableName })
}

/** Sets `values` on a logged version's entry (checkpoints replaced whole); a version never logged is refused. */
async function updateEntry(
  Ledger: MigrationLedgerEntity,
  version: number,
  { checkpoints, ...values }: Partial<Omit<LedgerEntry, 'version'>>,
): Promise<void> {
  await Ledger.build(UpdateItemCommand)
    .item({
      version,
      ...plain(values),
      ...(checkpoints === undefined ? {} : { checkpoints: $set(plain(checkpoints)) }),
    })
    .options({ condition: { attr: 'version', exists: true } })
    .send()
}

/** Drops undefined values: the caller's document client may not be configured to. */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}

/** An entry as the entity reads it back: the counters and checkpoints of the first ledger items default to empty. */
function toEntry(item: FormattedItem<MigrationLedgerEntity>): LedgerEntry {
  const { checkpoints = {}, itemsScanned = 0, itemsChanged = 0, ...rest } = item
  return { ...rest, checkpoints, itemsScanned, itemsChanged }
}
