import { BatchWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { PutItemCommand } from 'dynamodb-toolbox/entity/actions/put'
import { reconcileRooms } from '../../src/admin/cleanup.js'
import { inspectRoom } from '../../src/admin/inspectRoom.js'
import { inspectRooms } from '../../src/admin/inspectRooms.js'
import { createEntities } from '../../src/entities/index.js'
import { shardSubscriptionKey, subscriberCountKey, subscriptionShardOf } from '../../src/keys.js'
import { createChatRepository } from '../../src/repository/chatRepository.js'
import { createTableStore } from '../../src/repository/tableStore.js'
import { createTable } from '../../src/table.js'
import { chunk, mapWithConcurrency } from '../../src/util/concurrency.js'
import type { BenchEnvironment } from '../env.js'
import type { Section } from '../report.js'

export interface LargeRoomAdminOptions {
  /** Subscribers of the large room. */
  roomSize: number
  /** Its subscription shards (S). */
  shards: number
  /** Members that make it large (they stay in the base partition). */
  threshold: number
}

/**
 * What the operator tools cost on one large room: `chatdb inspect room` (an exact read of every
 * partition), the operator view's room (counters), its row in `inspect rooms`, and
 * `cleanup rooms` with and without `--dry-run` when one counter is off by one. The room is made
 * large through the repository (so its guard and counters are the real ones), then filled with
 * shard subscriptions written in bulk and counted with one UpdateItem per shard.
 */
export async function largeRoomAdmin(
  env: BenchEnvironment,
  options: LargeRoomAdminOptions,
): Promise<Section> {
  const { roomSize, shards, threshold } = options
  const tableName = await env.createTable('admin')
  const { documentClient, counter } = env
  const repository = createChatRepository({
    documentClient,
    tableName,
    largeRoomThreshold: threshold,
    largeRoomShards: shards,
  })
  const store = createTableStore({ documentClient, tableName })
  const roomName = 'arena'
  for (let i = 0; i < threshold; i++) {
    await repository.subscribe({
      roomName,
      connectionId: `Base${String(i).padStart(8, '0')}=`,
      userName: `base${i}`,
    })
  }
  const { Subscription } = createEntities(createTable({ name: tableName, documentClient }))
  const perShard = new Array<number>(shards).fill(0)
  const items = Array.from({ length: roomSize - threshold }, (_, i) => {
    const connectionId = `Conn${String(i).padStart(10, '0')}=`
    const shard = subscriptionShardOf(connectionId, shards)
    perShard[shard] = (perShard[shard] ?? 0) + 1
    const { Item } = Subscription.build(PutItemCommand)
      .item({ roomName, connectionId, userName: `user${i % 5_000}`, subscribedAt: 1_800_000_000_000 })
      .params()
    return { ...Item, ...shardSubscriptionKey(roomName, connectionId, shard) }
  })
  await mapWithConcurrency(chunk(items, 25), 8, (batch) =>
    documentClient.send(
      new BatchWriteCommand({
        RequestItems: { [tableName]: batch.map((Item) => ({ PutRequest: { Item } })) },
      }),
    ),
  )
  // Every shard's counter as the joins would have left it, shard 0's one too many (a lost leave).
  await mapWithConcurrency(perShard, 8, (count, shard) =>
    documentClient.send(
      new UpdateCommand({
        TableName: tableName,
        Key: subscriberCountKey(roomName, shard),
        UpdateExpression: 'SET #et = :et, #n = :n',
        ExpressionAttributeNames: { '#et': '_et', '#n': 'n' },
        ExpressionAttributeValues: { ':et': 'SubscriberCount', ':n': count + (shard === 0 ? 1 : 0) },
      }),
    ),
  )

  const rows: string[][] = []
  const measure = async <T>(name: string, run: () => Promise<T>, describe: (result: T) => string) => {
    counter.reset()
    const started = performance.now()
    const result = await run()
    const ms = performance.now() - started
    const counts = counter.counts()
    const spelled = Object.entries(counts)
      .map(([operation, n]) => `${n} ${operation}`)
      .join(' + ')
    rows.push([name, String(counter.total()), spelled, ms.toFixed(0), describe(result)])
    return { result, requests: counter.total(), writes: counter.writes() }
  }
  // A fresh repository each time: none of them has the room's largeness in memory.
  const fresh = () => createChatRepository({ documentClient, tableName })
  const exact = await measure(
    'inspect room (exact read)',
    () => inspectRoom(fresh(), roomName),
    (room) =>
      `${room?.large?.exactSubscribers} exact, ${room?.large?.subscriberCount} counted, ${room?.subscribers.length} listed, ${room?.large?.countersOff?.length} counter off`,
  )
  const view = await measure(
    'operator view room (counters)',
    () => inspectRoom(fresh(), roomName, { exact: false }),
    (room) => `${room?.large?.subscriberCount} counted, ${room?.subscribers.length} listed`,
  )
  await measure(
    'inspect rooms (1 large room)',
    () => inspectRooms(fresh(), store),
    ({ rooms }) => `${rooms[0]?.subscribers} counted`,
  )
  const dry = await measure(
    'cleanup rooms --dry-run',
    () => reconcileRooms(fresh(), store, { dryRun: true }),
    (r) => `${r.countersRepaired} counter would be repaired`,
  )
  const done = await measure(
    'cleanup rooms',
    () => reconcileRooms(fresh(), store),
    (r) => `${r.countersRepaired} counter repaired, ${r.changes.length} change`,
  )
  return {
    title: `Operator tools on a large room (${roomSize.toLocaleString('en-US')} subscribers, ${shards} shards)`,
    description:
      'DynamoDB requests and wall time (dynalite, in-process) of `chatdb inspect room`, the operator ' +
      "view's room, `inspect rooms` and `cleanup rooms` on one large room with one counter off by one " +
      '(bench/measures/largeRoomAdmin.ts). The exact read is one Query per partition and 1 MB; the ' +
      'operator view, which polls, reads the counters only.',
    header: ['operation', 'requests', 'by operation', 'ms', 'result'],
    rows,
    checks: [
      // Base partition + recent messages, the guard, one Query per partition (each one page).
      {
        name: 'requests: inspect room of a large room',
        value: exact.requests,
        target: shards + 4,
        better: 'lower',
      },
      { name: "requests: operator view's large room", value: view.requests, target: 4, better: 'lower' },
      { name: 'writes of cleanup rooms --dry-run', value: dry.writes, target: 0, better: 'lower' },
      {
        name: 'counters repaired by cleanup rooms',
        value: done.result.countersRepaired,
        target: 1,
        better: 'higher',
      },
    ],
  }
}
