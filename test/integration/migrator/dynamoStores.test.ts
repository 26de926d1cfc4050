import { PutCommand } from '@aws-sdk/lib-dynamodb'
import { describe, expect, it } from 'vitest'
import { createDynamoLedger, MIGRATION_PARTITION } from '../../../src/migrator/dynamoLedger.js'
import { createDynamoLockStore, LOCK_SORT_KEY } from '../../../src/migrator/dynamoLockStore.js'
import { createTestTable, useTestTable } from '../../support/dynamo.js'
import { ledgerContract } from '../../support/ledgerContract.js'
import { lockStoreContract } from '../../support/lockStoreContract.js'
import { scanAll } from '../../support/scan.js'

const t = useTestTable()
// A table per test: every contract test starts from an empty ledger and a free lock.
const freshTable = () => createTestTable(t.documentClient, 'stores')

ledgerContract('createDynamoLedger', async () =>
  createDynamoLedger({ documentClient: t.documentClient, tableName: await freshTable() }),
)
lockStoreContract('createDynamoLockStore', async () =>
  createDynamoLockStore({ documentClient: t.documentClient, tableName: await freshTable() }),
)

describe('the ledger and the lock in the table', () => {
  it('keep the item layout existing tables have: one item per version and one lock item', async () => {
    const tableName = await freshTable()
    const ledger = createDynamoLedger({ documentClient: t.documentClient, tableName })
    const locks = createDynamoLockStore({ documentClient: t.documentClient, tableName })
    await ledger.log({
      version: 1,
      name: 'legacy-seed-layout',
      checksum: 'c',
      status: 'applied',
      direction: 'up',
      startedAt: 1,
      finishedAt: 2,
      itemsScanned: 0,
      itemsChanged: 0,
      ranBy: 'ada@host',
      checkpoints: {},
    })
    await locks.acquire({ owner: 'ada', now: 5, leaseMs: 10, takeOverExpired: false })
    const items = (await scanAll(t.documentClient, tableName)).filter((i) => i.pk === MIGRATION_PARTITION)
    expect(items.map((i) => [i.sk, i._et, 'data' in i]).sort()).toEqual([
      [LOCK_SORT_KEY, 'MigrationLock', false],
      ['version|000001', 'MigrationLedger', false],
    ])
    expect(items.find((i) => i.sk === LOCK_SORT_KEY)).toMatchObject({
      owner: 'ada',
      acquiredAt: 5,
      leaseUntil: 15,
    })
  })

  it('reads a first-release ledger item (no counters, no checkpoints) with them empty', async () => {
    const tableName = await freshTable()
    const legacy = {
      version: 1,
      name: 'legacy-seed-layout',
      checksum: 'c',
      status: 'applied',
      direction: 'up',
      startedAt: 1,
      finishedAt: 2,
      ranBy: 'ada@host',
    }
    await t.documentClient.send(
      new PutCommand({
        TableName: tableName,
        Item: { pk: MIGRATION_PARTITION, sk: 'version|000001', _et: 'MigrationLedger', ...legacy },
      }),
    )
    const ledger = createDynamoLedger({ documentClient: t.documentClient, tableName })
    expect(await ledger.executed()).toStrictEqual([
      { ...legacy, checkpoints: {}, itemsScanned: 0, itemsChanged: 0 },
    ])
  })
})
