import { ScanCommand } from '@aws-sdk/lib-dynamodb'
import { estimateWriteUnits } from '../../src/migrator/writeCapacity.js'
import { createChatRepository } from '../../src/repository/chatRepository.js'
import type { BenchEnvironment } from '../env.js'
import type { Section } from '../report.js'

/** The target of docs: one shared name ("guest") sending this many messages a second. */
const GUEST_MESSAGES_PER_SECOND = 3_000
/** DynamoDB's write limit per partition key, for a table or a GSI. */
const KEY_WCU_LIMIT = 1_000

/**
 * Hot user names: `count` messages of ~1,000 characters posted by one name at each
 * `userHistoryShards`, then the GSI keys counted from a Scan: how many keys the name's messages
 * use, the busiest key's share, the index WCU/s that key would take at 3,000 messages/s of that
 * name, and the requests one `historyOfUser` costs.
 */
export async function hotUserShards(
  env: BenchEnvironment,
  count: number,
  shardCounts: readonly number[],
): Promise<Section> {
  const rows: string[][] = []
  const checks: Section['checks'] = []
  const text = 'x'.repeat(1_000)
  for (const shards of shardCounts) {
    const tableName = await env.createTable('hot-user')
    const repository = createChatRepository({
      documentClient: env.documentClient,
      tableName,
      userHistoryShards: shards,
    })
    await repository.subscribe({ roomName: 'lobby', connectionId: 'guest-conn', userName: 'guest' })
    for (let i = 0; i < count; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, count - i) }, () =>
          repository.postMessage({ roomName: 'lobby', connectionId: 'guest-conn', message: text }),
        ),
      )
    }
    const perKey = new Map<string, { messages: number; wcu: number }>()
    let start: Record<string, unknown> | undefined
    do {
      const page = await env.documentClient.send(
        new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }),
      )
      for (const item of page.Items ?? []) {
        if (item._et !== 'Message') continue
        const key = perKey.get(String(item.data)) ?? { messages: 0, wcu: 0 }
        key.messages++
        key.wcu += estimateWriteUnits([{ PutRequest: { Item: item } }]).index
        perKey.set(String(item.data), key)
      }
      start = page.LastEvaluatedKey
    } while (start)
    const busiest = Math.max(...[...perKey.values()].map((k) => k.messages))
    const wcuPerMessage = [...perKey.values()].reduce((sum, k) => sum + k.wcu, 0) / count
    const busiestKeyWcu = (busiest / count) * GUEST_MESSAGES_PER_SECOND * wcuPerMessage
    env.counter.reset()
    const history = await repository.historyOfUser('guest')
    const requests = env.counter.total()
    const read = history.reduce((sum, g) => sum + g.messages.length, 0)
    rows.push([
      String(shards),
      String(perKey.size),
      `${((busiest / count) * 100).toFixed(1)} %`,
      wcuPerMessage.toFixed(0),
      `${busiestKeyWcu.toFixed(0)} / ${KEY_WCU_LIMIT}`,
      String(requests),
      String(read),
    ])
    checks.push({
      name: `historyOfUser with ${shards} shard(s) returns every message (${count})`,
      value: read,
      target: count,
      better: 'higher',
    })
  }
  return {
    title: 'Hot user names (userHistoryShards)',
    description: `${count.toLocaleString('en-US')} messages of 1,000 characters by one name ("guest") per shard count; GSI keys counted from a Scan. The index WCU/s of the busiest key is extrapolated to ${GUEST_MESSAGES_PER_SECOND.toLocaleString('en-US')} messages/s of that name (each message costs its size in WCU on the index, the GSI projecting ALL) against DynamoDB's ${KEY_WCU_LIMIT.toLocaleString('en-US')} WCU/s per key.`,
    header: [
      'shards',
      'GSI keys used',
      'busiest key share',
      'index WCU per message',
      `busiest key WCU/s at ${GUEST_MESSAGES_PER_SECOND.toLocaleString('en-US')} msg/s vs limit`,
      'historyOfUser requests',
      'messages read back',
    ],
    rows,
    checks,
  }
}
