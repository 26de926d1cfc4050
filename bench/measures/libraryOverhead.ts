import { PutCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb'
import { QueryCommand as ToolboxQuery } from 'dynamodb-toolbox/table/actions/query'
import { messagePartition, ROOM_PARTITION, subscriptionPartition } from '../../src/keys.js'
import { createChatRepository } from '../../src/repository/chatRepository.js'
import { createTableStore } from '../../src/repository/tableStore.js'
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
  // The very requests the repository sends (built once by toolbox, outside the timing), sent
  // raw and left unformatted: chatdb against these is the library's own client-side cost.
  const { table, entities } = createTableStore({ documentClient, tableName: TableName })
  const sameRequest: Partial<Record<keyof typeof library, () => Promise<unknown>>> = {}
  const sendRaw = (params: QueryCommandInput) => () => documentClient.send(new QueryCommand(params))
  sameRequest.recentMessages = sendRaw(
    table
      .build(ToolboxQuery)
      .entities(entities.Message)
      .query({ partition: messagePartition(room) })
      .options({ reverse: true, limit: 50, entityAttrFilter: false })
      .params(),
  )
  sameRequest.connectionsInRoom = sendRaw(
    table
      .build(ToolboxQuery)
      .entities(entities.RoomState, entities.Subscription)
      .query({ partition: subscriptionPartition(room) })
      .options({ consistent: true, entityAttrFilter: false })
      .params(),
  )
  sameRequest.activeRooms = sendRaw(
    table
      .build(ToolboxQuery)
      .entities(entities.Room)
      .query({ partition: ROOM_PARTITION, range: { beginsWith: 'true|' } })
      .options({ entityAttrFilter: false })
      .params(),
  )
  sameRequest.historyOfUser = sendRaw(
    table
      .build(ToolboxQuery)
      .entities(entities.Message)
      .query({ index: DATA_INDEX, partition: 'user-3' })
      .params(),
  )

  const rows: string[][] = []
  const checks: Section['checks'] = []
  for (const method of Object.keys(library) as (keyof typeof library)[]) {
    const same = sameRequest[method]
    const results = await compare(
      { chatdb: library[method], raw: raw[method], ...(same ? { same } : {}) },
      options,
    )
    const p50 = (name: string) => results.find((r) => r.name === name)?.p50 ?? Number.NaN
    const vsHandWritten = p50('chatdb') / p50('raw')
    const vsSame = same ? p50('chatdb') / p50('same') : vsHandWritten
    rows.push([
      method,
      p50('chatdb').toFixed(3),
      p50('raw').toFixed(3),
      vsHandWritten.toFixed(2),
      same ? p50('same').toFixed(3) : '(the hand-written one)',
      vsSame.toFixed(2),
    ])
    checks.push({ name: `library overhead of ${method}`, value: vsSame, target: 1.2, better: 'lower' })
  }
  return {
    title: 'Library overhead: repository method vs the raw DocumentClient call',
    description:
      'p50 latency in ms (median of per-round p50s, variants alternating). The room has 100 subscribers and ' +
      '300 messages; the user 15 messages. "hand-written" is the Query a person would write (`pk = :pk AND ' +
      'begins_with(sk, :p)`); "same request" sends, raw and unformatted, the exact request the repository sends ' +
      '(toolbox writes `(#c0_1 = :c0_1) AND (begins_with(#c0_2, :c0_2))`). The library overhead, what chatdb adds on ' +
      'the client (building the request, mapping the items), is the ratio to the same request; the rest of the ' +
      'difference to the hand-written one is dynalite parsing the longer expression, in this process: server time, ' +
      'which DynamoDB spends on its side.',
    header: ['method', 'chatdb p50', 'hand-written p50', 'ratio', 'same request p50', 'library overhead'],
    rows,
    checks,
  }
}
