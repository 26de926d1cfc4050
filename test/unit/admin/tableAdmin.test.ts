import { describe, expect, it } from 'vitest'
import { chatTableDefinition } from '../../../src/admin/tableAdmin.js'
import { tableDefinition } from '../../../src/table.js'

describe('src/admin/tableAdmin', () => {
  describe('chatTableDefinition', () => {
    it('adds capacity to the table and its GSI for PROVISIONED', () => {
      const definition = chatTableDefinition('chat', {
        billingMode: 'PROVISIONED',
        readCapacity: 3,
        writeCapacity: 4,
      })
      const throughput = { ReadCapacityUnits: 3, WriteCapacityUnits: 4 }
      expect(definition.ProvisionedThroughput).toEqual(throughput)
      expect(definition.GlobalSecondaryIndexes?.[0]?.ProvisionedThroughput).toEqual(throughput)
      expect(chatTableDefinition('chat')).toEqual(tableDefinition('chat'))
    })
  })
})
