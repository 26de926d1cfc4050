import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { DeleteItemCommand } from 'dynamodb-toolbox/entity/actions/delete'
import { GetItemCommand } from 'dynamodb-toolbox/entity/actions/get'
import { PutItemCommand } from 'dynamodb-toolbox/entity/actions/put'
import { UpdateItemCommand } from 'dynamodb-toolbox/entity/actions/update'
import { createMigrationLockEntity } from '../entities/migrationLock.js'
import { conditionHeld } from '../repository/conditionalCheck.js'
import { translateStoreError } from '../repository/storeErrors.js'
import { createTable } from '../table.js'
import { lockedError } from './lockMessages.js'
import type { LockInfo, MigrationLockStore } from './types.js'

export { LOCK_SORT_KEY } from '../keys.js'

/**
 * The migration lock as one item of the chat table (or of the table named), beside the ledger:
 * the `MigrationLock` entity (src/entities/migrationLock.ts) while a run holds it. Every write
 * is conditional on the holder, so two runs never both hold it.
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
  const Lock = createMigrationLockEntity(createTable({ name: tableName, documentClient }))

  const read = async (): Promise<LockInfo | undefined> => {
    const { Item } = await Lock.build(GetItemCommand).key({}).options({ consistent: true }).send()
    return Item && { owner: Item.owner, acquiredAt: Item.acquiredAt, leaseUntil: Item.leaseUntil }
  }

  const locks: MigrationLockStore = {
    async acquire({ owner, now, leaseMs, takeOverExpired }) {
      const lock: LockInfo = { owner, acquiredAt: now, leaseUntil: now + leaseMs }
      // A plain conditional put: of two runs racing here exactly one put lands. Taking over is
      // allowed only from a holder whose lease ran out (it stopped renewing: it died).
      const free = { attr: 'owner', exists: false } as const
      const put = Lock.build(PutItemCommand)
        .item(lock)
        .options({ condition: takeOverExpired ? { or: [free, { attr: 'leaseUntil', lt: now }] } : free })
      for (let attempt = 0; attempt < 3; attempt++) {
        if (await conditionHeld(put.send())) return lock
        const holder = await read()
        // Released between our put and our read: try again.
        if (holder) throw lockedError(holder, now)
      }
      throw lockedError({ owner: 'another run', acquiredAt: now, leaseUntil: now }, now)
    },

    async renew(owner, leaseUntil) {
      return conditionHeld(
        Lock.build(UpdateItemCommand)
          .item({ leaseUntil })
          .options({ condition: { attr: 'owner', eq: owner } })
          .send(),
      )
    },

    async release(owner) {
      // Refused when someone took it over (our lease had expired): theirs now, leave it.
      await conditionHeld(
        Lock.build(DeleteItemCommand)
          .key({})
          .options({ condition: { attr: 'owner', eq: owner } })
          .send(),
      )
    },

    read,
  }
  return translateStoreError(locks, { tableName })
}
