import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import { conditionHeld } from '../repository/conditionalCheck.js'
import { translateStoreError } from '../repository/storeErrors.js'
import { MIGRATION_PARTITION } from './dynamoLedger.js'
import { lockedError } from './lockMessages.js'
import type { LockInfo, MigrationLockStore } from './types.js'

export const LOCK_SORT_KEY = '#lock'

/**
 * The migration lock as one item of the chat table, beside the ledger:
 * `{ pk: "Migration", sk: "#lock", _et: "MigrationLock", owner, acquiredAt, leaseUntil }` while
 * a run holds it. Every write is conditional on the holder, so two runs never both hold it.
 *
 * @example
 * const locks = createDynamoLockStore({ documentClient, tableName: 'chat' })
 * const holder = await locks.read() // undefined when no run holds it
 */
export function createDynamoLockStore({
  documentClient,
  tableName,
}: {
  documentClient: DynamoDBDocumentClient
  tableName: string
}): MigrationLockStore {
  const lockKey = { pk: MIGRATION_PARTITION, sk: LOCK_SORT_KEY }

  const read = async (): Promise<LockInfo | undefined> => {
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

  const locks: MigrationLockStore = {
    async acquire({ owner, now, leaseMs, takeOverExpired }) {
      const lock: LockInfo = { owner, acquiredAt: now, leaseUntil: now + leaseMs }
      // A plain conditional put: of two runs racing here exactly one put lands. Taking over is
      // allowed only from a holder whose lease ran out (it stopped renewing: it died).
      for (let attempt = 0; attempt < 3; attempt++) {
        const taken = await conditionHeld(
          documentClient.send(
            new PutCommand({
              TableName: tableName,
              Item: { ...lockKey, _et: 'MigrationLock', ...lock },
              ConditionExpression: takeOverExpired
                ? 'attribute_not_exists(pk) OR leaseUntil < :now'
                : 'attribute_not_exists(pk)',
              ExpressionAttributeValues: takeOverExpired ? { ':now': now } : undefined,
            }),
          ),
        )
        if (taken) return lock
        const holder = await read()
        // Released between our put and our read: try again.
        if (holder) throw lockedError(holder, now)
      }
      throw lockedError({ owner: 'another run', acquiredAt: now, leaseUntil: now }, now)
    },

    async renew(owner, leaseUntil) {
      return conditionHeld(
        documentClient.send(
          new UpdateCommand({
            TableName: tableName,
            Key: lockKey,
            UpdateExpression: 'SET leaseUntil = :leaseUntil',
            ConditionExpression: '#owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':leaseUntil': leaseUntil, ':owner': owner },
          }),
        ),
      )
    },

    async release(owner) {
      // Refused when someone took it over (our lease had expired): theirs now, leave it.
      await conditionHeld(
        documentClient.send(
          new DeleteCommand({
            TableName: tableName,
            Key: lockKey,
            ConditionExpression: '#owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':owner': owner },
          }),
        ),
      )
    },

    read,
  }
  return translateStoreError(locks, { tableName })
}
