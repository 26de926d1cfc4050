import { createMemoryLedger } from '../../../src/migrator/memoryLedger.js'
import { createMemoryLockStore } from '../../../src/migrator/memoryLockStore.js'
import { ledgerContract } from '../../support/ledgerContract.js'
import { lockStoreContract } from '../../support/lockStoreContract.js'

ledgerContract('createMemoryLedger', async () => createMemoryLedger())
lockStoreContract('createMemoryLockStore', async () => createMemoryLockStore())
