import type { TableDescription } from '@aws-sdk/client-dynamodb'
import { describe, expect, it } from 'vitest'
import { tableDiff } from '../../../src/admin/tableDiff.js'
import { tableDefinition } from '../../../src/table.js'

describe('src/admin/tableDiff', () => {
  describe('tableDiff', () => {
    const described = (definition: ReturnType<typeof tableDefinition>): TableDescription => ({
      KeySchema: definition.KeySchema,
      AttributeDefinitions: definition.AttributeDefinitions,
      GlobalSecondaryIndexes: definition.GlobalSecondaryIndexes?.map((index) => ({
        ...index,
        IndexStatus: 'ACTIVE' as const,
      })),
    })

    it('finds nothing when the table matches its definition', () => {
      expect(tableDiff(tableDefinition('chat'), described(tableDefinition('chat')))).toEqual([])
    })

    it('reports a missing GSI, a different key schema, an extra index and another billing mode', () => {
      const actual = {
        ...described(tableDefinition('chat')),
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' as const }],
        GlobalSecondaryIndexes: [{ IndexName: 'other', KeySchema: [] }],
        BillingModeSummary: { BillingMode: 'PROVISIONED' as const },
      }
      expect(tableDiff(tableDefinition('chat'), actual)).toEqual([
        'key schema: expected pk HASH, sk RANGE, found pk HASH',
        'GSI byData: missing',
        'GSI other: not in the definition',
        'billing mode: expected PAY_PER_REQUEST, found PROVISIONED',
      ])
    })
  })
})
