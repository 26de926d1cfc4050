import { Agent } from 'node:http'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb'
import { describe, expect, it } from 'vitest'
import { httpTimeouts } from '../../../src/client.js'
import { countRequests } from '../../../src/util/requestCounter.js'
import { dynamoEndpoint, newDocumentClient, useTestTable } from '../../support/dynamo.js'
import { injectDynamoFaults } from '../../support/faults.js'

const t = useTestTable()

describe('injectDynamoFaults', () => {
  it.each([
    ['throughput', 'ProvisionedThroughputExceededException'],
    ['throttling', 'ThrottlingException'],
    ['internal', 'InternalServerError'],
    ['timeout', 'TimeoutError'],
  ] as const)('raises %s as the SDK error %s after the SDK retries it', async (fault, errorName) => {
    const client = newDocumentClient({ maxAttempts: 2 })
    const counter = countRequests(client)
    const faults = injectDynamoFaults(client, { rate: 1, faults: [fault] })
    const error = await client
      .send(new GetCommand({ TableName: t.tableName, Key: { pk: 'a', sk: 'b' } }))
      .catch((e: unknown) => e)
    expect((error as Error).name).toBe(errorName)
    expect(counter.counts()).toEqual({ GetItem: 2 })
    expect(faults.total()).toBe(2)
    faults.stop()
    await expect(
      client.send(new GetCommand({ TableName: t.tableName, Key: { pk: 'a', sk: 'b' } })),
    ).resolves.toBeDefined()
  })

  it('lets a write land before losing its response', async () => {
    const client = newDocumentClient()
    const faults = injectDynamoFaults(client, { rate: 1, faults: ['lostResponse'] })
    const put = new PutCommand({ TableName: t.tableName, Item: { pk: 'lost', sk: '1', n: 1 } })
    await expect(client.send(put)).rejects.toThrow(/injected/)
    faults.stop()
    const { Item } = await client.send(
      new GetCommand({ TableName: t.tableName, Key: { pk: 'lost', sk: '1' } }),
    )
    expect(Item).toEqual({ pk: 'lost', sk: '1', n: 1 })
  })

  it('closes the connection of a lost response, as a reset does: a client with one socket goes on at once', async () => {
    const client = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: dynamoEndpoint(),
        region: 'local',
        maxAttempts: 1,
        requestHandler: { ...httpTimeouts(2_000), httpAgent: new Agent({ keepAlive: true, maxSockets: 1 }) },
      }),
    )
    const get = new GetCommand({ TableName: t.tableName, Key: { pk: 'lost', sk: '2' } })
    const faults = injectDynamoFaults(client, { rate: 1, faults: ['lostResponse'] })
    await expect(client.send(get)).rejects.toThrow(/injected/)
    faults.stop()
    // The wait for a pooled socket counts against the 2 s timeout: had the lost answer kept its
    // socket, this would wait for the engine to close the idle connection (DynamoDB Local's is
    // longer than 2 s).
    await expect(client.send(get)).resolves.toBeDefined()
    client.destroy()
  })

  it('is deterministic for a seed and limited to the operations named', async () => {
    const run = async () => {
      const client = newDocumentClient()
      const faults = injectDynamoFaults(client, {
        rate: 0.3,
        seed: 42,
        faults: ['internal'],
        operations: ['PutItem'],
      })
      for (let i = 0; i < 20; i++) {
        await client.send(new GetCommand({ TableName: t.tableName, Key: { pk: 'x', sk: String(i) } }))
        await client
          .send(new PutCommand({ TableName: t.tableName, Item: { pk: 'x', sk: String(i) } }))
          .catch(() => {})
      }
      return faults.total()
    }
    const first = await run()
    expect(first).toBeGreaterThan(0)
    expect(await run()).toBe(first)
  })
})
