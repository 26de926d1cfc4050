import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb'
import { BatchPutRequest } from 'dynamodb-toolbox/entity/actions/batchPut'
import { writeInBatches } from '../../src/repository/batchWrite.js'
import { createTableStore } from '../../src/repository/tableStore.js'
import { chunk } from '../../src/util/concurrency.js'
import type { BenchEnvironment } from '../env.js'
import { medianOf } from '../harness.js'
import type { Section } from '../report.js'

const CONCURRENCY = 4

/**
 * Bulk write throughput (items/s): chatdb's batch writer (toolbox-built requests, chunks of 25,
 * UnprocessedItems handling) against raw parallel BatchWriteItem of pre-built items, same
 * concurrency, alternating runs on one dynalite.
 */
export async function writeThroughput(
  env: BenchEnvironment,
  items: number,
  rounds: number,
): Promise<Section> {
  const { documentClient } = env
  const tableName = await env.createTable('throughput')
  const { entities } = createTableStore({ documentClient, tableName })
  const message = (run: string, i: number) => ({
    roomName: `room-${i % 20}`,
    time: 1_700_000_000_000 + i,
    id: `${run}-${i}`,
    userName: `user-${i % 50}`,
    connectionId: `conn-${i % 50}`,
    message: `bulk message ${i}`,
  })

  const chatdbRun = async (round: number) => {
    const started = performance.now()
    const requests = Array.from({ length: items }, (_, i) =>
      entities.Message.build(BatchPutRequest)
        .item(message(`c${round}`, i))
        .params(),
    )
    await writeInBatches(documentClient, tableName, requests, { concurrency: CONCURRENCY })
    return items / ((performance.now() - started) / 1000)
  }
  const rawRun = async (round: number) => {
    // The raw baseline gets its items already marshalled-ready: no schema, no validation.
    const requests = Array.from({ length: items }, (_, i) => {
      const m = message(`r${round}`, i)
      const iso = new Date(m.time).toISOString()
      return {
        PutRequest: {
          Item: {
            pk: `Message|${m.roomName}`,
            sk: `${m.roomName}|${iso}|${m.id}`,
            data: m.userName,
            _et: 'Message',
            ...m,
          },
        },
      }
    })
    const started = performance.now()
    const batches = chunk(requests, 25)
    let next = 0
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < batches.length) {
          const batch = batches[next++] ?? []
          await documentClient.send(new BatchWriteCommand({ RequestItems: { [tableName]: batch } }))
        }
      }),
    )
    return items / ((performance.now() - started) / 1000)
  }
  let chatdb = 0
  let raw = 0
  // Alternate so that both meet the table at the same sizes.
  const pairs = await medianOf(rounds, async (round) => {
    const c = await chatdbRun(round)
    const r = await rawRun(round)
    chatdb += c
    raw += r
    return c / r
  })
  return {
    title: 'Bulk write throughput',
    description: `${items.toLocaleString('en-US')} messages per run, ${CONCURRENCY} batches in flight, ${rounds} alternating runs; items/s are means, the ratio is the median of per-run ratios. chatdb's time includes building each request through the Message entity.`,
    header: ['writer', 'items/s', 'ratio to raw'],
    rows: [
      ['chatdb writeInBatches', (chatdb / rounds).toFixed(0), pairs.toFixed(2)],
      ['raw parallel BatchWriteItem', (raw / rounds).toFixed(0), '1.00'],
    ],
    checks: [{ name: 'seed throughput vs raw BatchWriteItem', value: pairs, target: 0.8, better: 'higher' }],
  }
}
