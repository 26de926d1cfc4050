import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { allItems, queryPages } from '../repository/pager.js'
import { translateStoreError } from '../repository/storeErrors.js'
import type { LedgerEntry, MigrationLedger } from './types.js'

/** The ledger's partition: apart from every chat item (no chat key starts with it). */
export const MIGRATION_PARTITION = 'Migration'
export const LEDGER_SORT_PREFIX = 'version|'

/** `version|000042`: zero-padded so the partition lists versions in order. */
export function ledgerSortKey(version: number): string {
  return `${LEDGER_SORT_PREFIX}${String(version).padStart(6, '0')}`
}

/**
 * The ledger as items of the chat table itself, in the `Migration` partition:
 * `{ pk: "Migration", sk: "version|000001", _et: "MigrationLedger", ...LedgerEntry }` per
 * version. `_et` lets entity counts name them; they have no `data`, so the GSI never sees them.
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
  /** Sets `values` on a logged version's entry; a version never logged is refused. */
  async function updateEntry(version: number, values: Record<string, unknown>): Promise<void> {
    const names = Object.keys(values)
    await documentClient.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { pk: MIGRATION_PARTITION, sk: ledgerSortKey(version) },
        UpdateExpression: `SET ${names.map((_, i) => `#n${i} = :v${i}`).join(', ')}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#n${i}`, name])),
        ExpressionAttributeValues: Object.fromEntries(names.map((name, i) => [`:v${i}`, values[name]])),
      }),
    )
  }

  const ledger: MigrationLedger = {
    async executed() {
      const items = await allItems(
        queryPages(documentClient, {
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': MIGRATION_PARTITION, ':prefix': LEDGER_SORT_PREFIX },
          ConsistentRead: true,
        }),
      )
      return items.map(toEntry)
    },

    async log(entry) {
      await documentClient.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: MIGRATION_PARTITION,
            sk: ledgerSortKey(entry.version),
            _et: 'MigrationLedger',
            ...plain(entry),
          },
        }),
      )
    },

    async unlog(version, run) {
      await updateEntry(version, {
        status: 'rolled-back',
        finishedAt: run.finishedAt ?? Date.now(),
        itemsScanned: run.itemsScanned,
        itemsChanged: run.itemsChanged,
        ranBy: run.ranBy,
        checkpoints: {},
      })
    },

    async saveCheckpoints(version, progress) {
      await updateEntry(version, {
        checkpoints: plain(progress.checkpoints),
        itemsScanned: progress.itemsScanned,
        itemsChanged: progress.itemsChanged,
      })
    },
  }
  return translateStoreError(ledger, { tableName })
}

/** Drops undefined values: the caller's document client may not be configured to. */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}

function toEntry(item: Record<string, unknown>): LedgerEntry {
  const { pk: _pk, sk: _sk, _et, ...rest } = item
  return { checkpoints: {}, itemsScanned: 0, itemsChanged: 0, ...rest } as LedgerEntry
}
