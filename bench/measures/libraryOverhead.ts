import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb'
import { messagePartition, ROOM_PARTITION, subscriptionPartition } from '../../src/keys.js'
import { createChatRepository } from '../../src/repository/chatRepository.js'
import { DATA_INDEX } from '../../src/table.js'
import type { BenchEnvironment } from '../env.js'
import { type CompareOptions, compare } from '../harness.js'
import type { Section } from '../report.js'

/** Each repository method against the hand-written DocumentClient call it stands for. */
export async function libraryOverhead(env: BenchEnvironment, options: CompareOptions): Promise<Section> {
  const { documentClient } = env
  const TableName = await env.createTable('overhead')
  let clock = 1_800_000_000_000
  const repository = createChatRepository({ documentClient, tableName: TableName, now: () => clock++ })
  const room = 'bench'
  for (let i = 0; i < 100; i++) {
    await repository.subscribe({ roomName: room, connectionId: `conn-${i}`, userName: `user-${i % 20}` })
  }
  for (let i = 0; i < 20; i++)
    await repository.subscribe({ roomName: `other-${i}`, connectionId: 'conn-0', userName: 'user-0' })
  for (let i = 0; i < 300; i++) {
    await repository.postMessage({
      roomName: room,
      connectionId: `conn-${i % 100}`,
      message: `message ${i} `.repeat(8),
    })
  }

  const raw = {
    recentMessages: async () => {
      const { Items = [] } = await documentClient.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': messagePartition(room) },
          ScanIndexForward: false,
          Limit: 50,
        }),
      )
      return Items.reverse()
    },
    connectionsInRoom: () =>
      documentClient.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': subscriptionPartition(room) },
          ConsistentRead: true,
        }),
      ),
    activeRooms: () =>
      documentClient.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :active)',
          ExpressionAttributeValues: { ':pk': ROOM_PARTITION, ':active': 'true|' },
        }),
      ),
    historyOfUser: () =>
      documentClient.send(
        new QueryCommand({
          TableName,
          IndexName: DATA_INDEX,
          KeyConditionExpression: '#data = :user',
          FilterExpression: '#et = :message',
          ExpressionAttributeNames: { '#data': 'data', '#et': '_et' },
          ExpressionAttributeValues: { ':user': 'user-3', ':message': 'Message' },
        }),
      ),
    postMessage: async () => {
      await documentClient.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': subscriptionPartition(room) },
          ConsistentRead: true,
        }),
      )
      const time = clock++
      const id = `raw-${time}`
      await documentClient.send(
        new PutCommand({
          TableName,
          Item: {
            pk: messagePartition(room),
            sk: `${room}|${new Date(time).toISOString()}|${id}`,
            data: 'user-1',
            _et: 'Message',
            roomName: room,
            time,
            id,
            connectionId: 'conn-1',
            message: 'hello',
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      )
    },
  }
  const library = {
    recentMessages: () => repository.recentMessages(room, { limit: 50 }),
    connectionsInRoom: () => repository.connectionsInRoom(room),
    activeRooms: () => repository.activeRooms(),
    historyOfUser: () => repository.historyOfUser('user-3'),
    postMessage: () => repository.postMessage({ roomName: room, connectionId: 'conn-1', message: 'hello' }),
  }
  const rows: string[][] = []
  const checks: Section['checks'] = []
  for (const method of Object.keys(library) as (keyof typeof library)[]) {
    const [chatdb, baseline] = await compare({ chatdb: library[method], raw: raw[method] }, options)
    if (!chatdb || !baseline) throw new Error('missing result')
    const overhead = chatdb.p50 / baseline.p50
    rows.push([method, chatdb.p50.toFixed(3), baseline.p50.toFixed(3), overhead.toFixed(2)])
    checks.push({ name: `library overhead of ${method}`, value: overhead, target: 1.2, better: 'lower' })
  }
  return {
    title: 'Library overhead: repository method vs the raw DocumentClient call',
    description:
      'p50 latency in ms (median of per-round p50s, variants alternating). The room has 100 subscribers and ' +
      '300 messages; the user 15 messages. The ratio is the cost of dynamodb-toolbox parsing/formatting per item.',
    header: ['method', 'chatdb p50 (ms)', 'raw p50 (ms)', 'ratio'],
    rows,
    checks,
  }
}
