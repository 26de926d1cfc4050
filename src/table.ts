import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { Table } from 'dynamodb-toolbox/table'

/** The one global secondary index: partition `data`, sort `sk`, every attribute projected. */
export const DATA_INDEX = 'byData'
export const DEFAULT_TABLE_NAME = 'chat'

/**
 * The CreateTable input for a chatdb table. Pure: the CLI, the tests and the migrations all
 * create tables from this, and the deployment template is checked against it.
 *
 * @example
 * await client.send(new CreateTableCommand(tableDefinition('chat')))
 */
export function tableDefinition(name: string): CreateTableCommandInput & { TableName: string } {
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'data', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: DATA_INDEX,
        KeySchema: [
          { AttributeName: 'data', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        // ALL, so toolbox's entity attribute (`_et`) is there to filter GSI reads by entity.
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  }
}

/**
 * The dynamodb-toolbox `Table` for a chatdb table, bound to one document client.
 *
 * @example
 * const table = createTable({ name: 'chat', documentClient })
 */
export function createTable({
  name,
  documentClient,
}: {
  name: string
  documentClient: DynamoDBDocumentClient
}) {
  return new Table({
    name,
    documentClient,
    partitionKey: { name: 'pk', type: 'string' },
    sortKey: { name: 'sk', type: 'string' },
    indexes: {
      [DATA_INDEX]: {
        type: 'global',
        partitionKey: { name: 'data', type: 'string' },
        sortKey: { name: 'sk', type: 'string' },
      },
    } as const,
  })
}

export type ChatTable = ReturnType<typeof createTable>
