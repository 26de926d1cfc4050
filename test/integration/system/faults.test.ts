import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb'
import { describe, expect, it } from 'vitest'
import { countRequests } from '../../../src/util/requestCounter.js'
import { newDocumentClient, useTestTable } from '../../support/dynamo.js'
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
