import { BatchPutRequest } from 'dynamodb-toolbox/entity/actions/batchPut'
import { writeInBatches } from '../../src/repository/batchWrite.js'
import { createChatRepository } from '../../src/repository/chatRepository.js'
import { createTableStore } from '../../src/repository/tableStore.js'
import type { BenchEnvironment } from '../env.js'
import { type CompareOptions, compare } from '../harness.js'
import type { Section } from '../report.js'

/**
 * Recent messages and subscribe (subscription + room query + recent messages, as the subscribe
 * route does) in rooms whose history holds `sizes` messages: the latency must not grow with it.
 */
export async function historyGrowth(
  env: BenchEnvironment,
  sizes: readonly number[],
  options: CompareOptions,
): Promise<Section> {
  const { documentClient } = env
  const tableName = await env.createTable('history')
  const repository = createChatRepository({ documentClient, tableName })
  const { Message } = createTableStore({ documentClient, tableName }).entities
  const roomOf = (size: number) => `history-${size}`
  const start = 1_700_000_000_000
  for (const size of sizes) {
    const roomName = roomOf(size)
    await repository.subscribe({ roomName, connectionId: `resident-${size}`, userName: 'resident' })
    const requests = Array.from({ length: size }, (_, i) =>
      Message.build(BatchPutRequest)
        .item({
          roomName,
          time: start + i * 1_000,
          id: `m${i}`,
          userName: `user-${i % 50}`,
          connectionId: `conn-${i % 50}`,
          message: `message number ${i} in a long history`,
        })
        .params(),
    )
    await writeInBatches(documentClient, tableName, requests, { concurrency: 8 })
  }

  let visitor = 0
  const recent: Record<string, () => Promise<unknown>> = {}
  const subscribe: Record<string, { fn: () => Promise<unknown>; afterEach: () => Promise<unknown> }> = {}
  for (const size of sizes) {
    const roomName = roomOf(size)
    recent[`${size}`] = () => repository.recentMessages(roomName, { limit: 50 })
    let connectionId = ''
    subscribe[`${size}`] = {
      fn: async () => {
        connectionId = `visitor-${++visitor}`
        await repository.subscribe({ roomName, connectionId, userName: 'visitor' })
        await repository.recentMessages(roomName, { limit: 50 })
      },
      afterEach: () => repository.unsubscribe({ roomName, connectionId }),
    }
  }
  const recentResults = await compare(recent, options)
  const subscribeResults = await compare(subscribe, options)
  const smallest = String(sizes[0])
  const largest = String(sizes.at(-1))
  const p50 = (results: typeof recentResults, name: string) =>
    results.find((r) => r.name === name)?.p50 ?? Number.NaN
  const rows = sizes.map((size) => [
    size.toLocaleString('en-US'),
    p50(recentResults, String(size)).toFixed(3),
    (p50(recentResults, String(size)) / p50(recentResults, smallest)).toFixed(2),
    p50(subscribeResults, String(size)).toFixed(3),
    (p50(subscribeResults, String(size)) / p50(subscribeResults, smallest)).toFixed(2),
  ])
  return {
    title: 'Recent messages and subscribe vs room history size',
    description:
      'p50 latency in ms of `recentMessages(room, { limit: 50 })` and of a subscribe (PutItem + room Query + recent ' +
      'messages, then an untimed unsubscribe) in rooms holding the given number of messages; ratio against the smallest room.',
    header: ['messages in room', 'recentMessages p50', 'ratio', 'subscribe p50', 'ratio'],
    rows,
    checks: [
      {
        name: `recentMessages growth ${smallest} → ${largest} messages`,
        value: p50(recentResults, largest) / p50(recentResults, smallest),
        target: 1.2,
        better: 'lower',
      },
      {
        name: `subscribe growth ${smallest} → ${largest} messages`,
        value: p50(subscribeResults, largest) / p50(subscribeResults, smallest),
        target: 1.2,
        better: 'lower',
      },
    ],
  }
}
