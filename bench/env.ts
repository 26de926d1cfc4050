import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { CreateTableCommand } from '@aws-sdk/client-dynamodb'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import dynalite from 'dynalite'
import { createDocumentClient } from '../src/client.js'
import { tableDefinition } from '../src/table.js'
import { countRequests } from '../src/util/requestCounter.js'

/** One in-memory dynalite for the whole benchmark run: every variant meets the same engine. */
export async function startBenchEnvironment() {
  process.env.AWS_ACCESS_KEY_ID ??= 'bench'
  process.env.AWS_SECRET_ACCESS_KEY ??= 'bench'
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const documentClient = createDocumentClient({ endpoint, region: 'local' })
  const counter = countRequests(documentClient)
  return {
    endpoint,
    documentClient,
    counter,
    newClient: () => createDocumentClient({ endpoint, region: 'local' }),
    async createTable(prefix: string, client: DynamoDBDocumentClient = documentClient) {
      const tableName = `${prefix}-${randomUUID().slice(0, 6)}`
      await client.send(new CreateTableCommand(tableDefinition(tableName)))
      return tableName
    },
    async close() {
      documentClient.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

export type BenchEnvironment = Awaited<ReturnType<typeof startBenchEnvironment>>
