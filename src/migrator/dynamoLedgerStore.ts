import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import { isConditionalCheckFailure } from '../repository/conditionalCheck.js'
import { allItems, queryPages } from '../repository/pager.js'
import { translateStoreError } from '../repository/storeErrors.js'
import { lockedError } from './lockMessages.js'
import type { LedgerEntry, LedgerStore, LockInfo } from './types.js'

/** The ledger's partition: apart from every chat item (no chat key starts with it). */
export const MIGRATION_PARTITION = 'Migration'
export const LEDGER_SORT_PREFIX = 'version|'
export const LOCK_SORT_KEY = '#lock'

/** `version|000042`: zero-padded so the partition lists versions in order. */
export function ledgerSortKey(version: number): string {
  return `${LEDGER_SORT_PREFIX}${String(version).padStart(6, '0')}`
}

/**
 * The ledger and the lock as items of the chat table itself, in the `Migration` partition:
 * `{ pk: "Migration", sk: "version|000001", ...LedgerEntry }` per version and
 * `{ pk: "Migration", sk: "#lock", owner, acquiredAt, leaseUntil }` while a run holds the lock.
 * They carry `_et` (`MigrationLedger`, `MigrationLock`) so entity counts can name them, and no
 * `data`, so the GSI never sees them.
 *
 * @example
 * const store = createDynamoLedgerStore({ documentClient, tableName: 'chat' })
 * const entries = await store.executed()
 */
export function createDynamoLedgerStore({
  documentClient,
  tableName,
}: {
  documentClient: DynamoDBDocumentClient
  tableName: string
}): LedgerStore {
  const lockKey = { pk: MIGRATION_PARTITION, sk: LOCK_SORT_KEY }

  const readLock = async (): Promise<LockInfo | undefined> => {
    const { Item } = await documentClient.send(
      new GetCommand({ TableName: tableName, Key: lockKey, ConsistentRead: true }),
    )
    if (!Item) return undefined
    return {
      owner: String(Item.owner),
      acquiredAt: Number(Item.acquiredAt),
      leaseUntil: Number(Item.leaseUntil),
    }
  }

  const store: LedgerStore = {
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
      await documentClient.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: MIGRATION_PARTITION, sk: ledgerSortKey(version) },
          UpdateExpression:
            'SET #status = :status, finishedAt = :finishedAt, itemsScanned = :scanned, itemsChanged = :changed, ranBy = :ranBy, checkpoints = :none',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':status': 'rolled-back',
            ':finishedAt': run.finishedAt ?? Date.now(),
            ':scanned': run.itemsScanned,
            ':changed': run.itemsChanged,
            ':ranBy': run.ranBy,
            ':none': {},
          },
        }),
      )
    },

    async saveProgress(version, progress) {
      await documentClient.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: MIGRATION_PARTITION, sk: ledgerSortKey(version) },
          UpdateExpression:
            'SET checkpoints = :checkpoints, itemsScanned = :scanned, itemsChanged = :changed',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: {
            ':checkpoints': plain(progress.checkpoints),
            ':scanned': progress.itemsScanned,
            ':changed': progress.itemsChanged,
          },
        }),
      )
    },

    async acquireLock({ owner, now, leaseMs, takeOverExpired }) {
      const lock: LockInfo = { owner, acquiredAt: now, leaseUntil: now + leaseMs }
      // A plain conditional put: of two runs racing here exactly one put lands. Taking over is
      // allowed only from a holder whose lease ran out (it stopped renewing: it died).
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          await documentClient.send(
            new PutCommand({
              TableName: tableName,
              Item: { ...lockKey, _et: 'MigrationLock', ...lock },
              ConditionExpression: takeOverExpired
                ? 'attribute_not_exists(pk) OR leaseUntil < :now'
                : 'attribute_not_exists(pk)',
              ExpressionAttributeValues: takeOverExpired ? { ':now': now } : undefined,
            }),
          )
          return lock
        } catch (error) {
          if (!isConditionalCheckFailure(error)) throw error
          const holder = await readLock()
          // Released between our put and our read: try again.
          if (holder) throw lockedError(holder, now)
        }
      }
      throw lockedError({ owner: 'another run', acquiredAt: now, leaseUntil: now }, now)
    },

    async renewLock(owner, leaseUntil) {
      try {
        await documentClient.send(
          new UpdateCommand({
            TableName: tableName,
            Key: lockKey,
            UpdateExpression: 'SET leaseUntil = :leaseUntil',
            ConditionExpression: '#owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':leaseUntil': leaseUntil, ':owner': owner },
          }),
        )
        return true
      } catch (error) {
        if (isConditionalCheckFailure(error)) return false
        throw error
      }
    },

    async releaseLock(owner) {
      try {
        await documentClient.send(
          new DeleteCommand({
            TableName: tableName,
            Key: lockKey,
            ConditionExpression: '#owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':owner': owner },
          }),
        )
      } catch (error) {
        // Someone took it over (our lease had expired): theirs now, leave it.
        if (!isConditionalCheckFailure(error)) throw error
      }
    },

    readLock,
  }
  return translateStoreError(store, { tableName })
}

/** Drops undefined values: the caller's document client may not be configured to. */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}

function toEntry(item: Record<string, unknown>): LedgerEntry {
  const { pk: _pk, sk: _sk, _et, ...rest } = item
  return { checkpoints: {}, itemsScanned: 0, itemsChanged: 0, ...rest } as LedgerEntry
}
