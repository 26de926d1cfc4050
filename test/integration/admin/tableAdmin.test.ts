import { beforeEach, describe, expect, it } from 'vitest'
import { createChatTable, deleteChatTable } from '../../../src/admin/tableAdmin.js'
import { useTestTable } from '../../support/dynamo.js'

describe('src/admin/tableAdmin', () => {
  const t = useTestTable()

  beforeEach(() => t.counter.reset())

  describe('createChatTable / deleteChatTable', () => {
    it('creates once, then reports the existing table as matching; deleting a missing table fails', async () => {
      const tableName = `admin-create-${Date.now()}`
      expect(await createChatTable(t.documentClient, tableName, { dryRun: true })).toMatchObject({
        action: 'would-create',
      })
      expect(t.counter.counts()).toEqual({ DescribeTable: 1 })
      expect(await createChatTable(t.documentClient, tableName, { pollMs: 10 })).toMatchObject({
        action: 'created',
        status: 'ACTIVE',
      })
      expect(await createChatTable(t.documentClient, tableName, { pollMs: 10 })).toMatchObject({
        action: 'exists',
        differences: [],
      })
      expect(await deleteChatTable(t.documentClient, tableName, { pollMs: 10 })).toMatchObject({
        action: 'deleted',
      })
      await expect(deleteChatTable(t.documentClient, tableName)).rejects.toMatchObject({
        code: 'store.tableNotFound',
      })

      const provisioned = await createChatTable(t.documentClient, tableName, {
        billingMode: 'PROVISIONED',
        pollMs: 10,
      })
      expect(provisioned).toMatchObject({ action: 'created', differences: [] })
      // Billing is an operating choice: compared only when asked for.
      expect(await createChatTable(t.documentClient, tableName)).toMatchObject({ differences: [] })
      expect(
        await createChatTable(t.documentClient, tableName, { billingMode: 'PAY_PER_REQUEST' }),
      ).toMatchObject({
        differences: ['billing mode: expected PAY_PER_REQUEST, found PROVISIONED'],
      })
      await deleteChatTable(t.documentClient, tableName, { pollMs: 10 })
    })
  })
})
