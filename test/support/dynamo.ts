import { randomUUID } from 'node:crypto'
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, inject } from 'vitest'
import { createDocumentClient } from '../../src/client.js'
import { createChatRepository } from '../../src/repository/chatRepository.js'
import { createTableStore, type TableStore } from '../../src/repository/tableStore.js'
import type { ChatRepositoryOptions } from '../../src/repository/types.js'
import { tableDefinition } from '../../src/table.js'
import { countRequests, type RequestCounter } from '../../src/util/requestCounter.js'

/** This worker's engine (test/support/globalSetup.ts starts one per worker, or one for all). */
export function dynamoEndpoint(): string {
  const endpoints = inject('dynamoEndpoints')
  const worker = Number(process.env.VITEST_POOL_ID ?? 1)
  return endpoints[(worker - 1) % endpoints.length] as string
}

export function newDocumentClient(options: { maxAttempts?: number } = {}): DynamoDBDocumentClient {
  return createDocumentClient({ endpoint: dynamoEndpoint(), region: 'local', ...options })
}

/** A new table from `tableDefinition`, ACTIVE when this resolves. */
export async function createTestTable(
  documentClient: DynamoDBDocumentClient,
  prefix = 'test',
): Promise<string> {
  const tableName = `${prefix}-${randomUUID().slice(0, 8)}`
  await documentClient.send(new CreateTableCommand(tableDefinition(tableName)))
  await untilActive(documentClient, tableName)
  return tableName
}

/** dynalite answers "not found" to a table still CREATING (a moment, longer under load). */
async function untilActive(documentClient: DynamoDBDocumentClient, tableName: string) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const { Table } = await documentClient.send(new DescribeTableCommand({ TableName: tableName }))
    if (Table?.TableStatus === 'ACTIVE') return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`table ${tableName} never became ACTIVE`)
}

export interface TestTable {
  tableName: string
  documentClient: DynamoDBDocumentClient
  counter: RequestCounter
  repository: (options?: Partial<ChatRepositoryOptions>) => ReturnType<typeof createChatRepository>
  /** The table store on the same client: this file's table, or `tableName`. */
  store: (tableName?: string) => TableStore
}

/**
 * A fresh table from `tableDefinition` for the calling test file, with a request counter on
 * its client. Read the fields inside tests or hooks (they are set in `beforeAll`).
 */
export function useTestTable(): TestTable {
  const handle = {} as TestTable
  beforeAll(async () => {
    handle.documentClient = newDocumentClient()
    handle.counter = countRequests(handle.documentClient)
    handle.tableName = await createTestTable(handle.documentClient)
    handle.repository = (options = {}) =>
      createChatRepository({
        documentClient: handle.documentClient,
        tableName: handle.tableName,
        batchWrite: { baseDelayMs: 1 },
        ...options,
      })
    handle.store = (tableName = handle.tableName) =>
      createTableStore({ documentClient: handle.documentClient, tableName })
  })
  afterAll(async () => {
    await handle.documentClient.send(new DeleteTableCommand({ TableName: handle.tableName }))
    handle.documentClient.destroy()
  })
  return handle
}
