import { PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi'
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb'
import { BatchPutRequest } from 'dynamodb-toolbox/entity/actions/batchPut'
import { DEFAULT_POST_CONCURRENCY } from '../../src/config/settings.js'
import { messageKey, subscriptionPartition } from '../../src/keys.js'
import {
  createRouter,
  DEFAULT_MANAGEMENT_MAX_ATTEMPTS,
  DEFAULT_MANAGEMENT_TIMEOUT_MS,
} from '../../src/lambda/createRouter.js'
import { createManagementClient } from '../../src/lambda/managementClient.js'
import { writeInBatches } from '../../src/repository/batchWrite.js'
import { allItems, scanPages } from '../../src/repository/pager.js'
import { createTableStore } from '../../src/repository/tableStore.js'
import { mapWithConcurrency } from '../../src/util/concurrency.js'
import { startConnectionsSink } from '../connectionsSink.js'
import type { BenchEnvironment } from '../env.js'
import { websocketEvent } from '../events.js'
import { type CompareOptions, compare } from '../harness.js'
import type { Section } from '../report.js'

// The router's defaults: as many posts in flight as the management client has sockets.
const CONCURRENCY = DEFAULT_POST_CONCURRENCY
const silent = { error: () => {}, warn: () => {} }

/**
 * sendMessage to rooms of 10, 100 and 1,000 subscribers on a table that also holds `others`
 * subscriptions elsewhere: chatdb's router vs the hand-written minimum (one Query, one PutItem,
 * the posts at the same concurrency) vs a Scan-based broadcast like the AWS sample chat app.
 */
export async function fanOut(
  env: BenchEnvironment,
  sizes: readonly number[],
  others: number,
  options: CompareOptions,
): Promise<Section> {
  const { documentClient } = env
  const sink = await startConnectionsSink()
  const TableName = await env.createTable('fanout')
  const router = createRouter({
    documentClient,
    tableName: TableName,
    managementEndpoint: sink.endpoint,
    managementCredentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    region: 'local',
    logger: silent,
  })
  const { Subscription } = createTableStore({ documentClient, tableName: TableName }).entities
  // The hand-written variants post through a client built as the router builds its own: the same
  // socket pool and SDK settings, so the comparison is of everything but the posting.
  const management = createManagementClient({
    endpoint: sink.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    timeoutMs: DEFAULT_MANAGEMENT_TIMEOUT_MS,
    maxAttempts: DEFAULT_MANAGEMENT_MAX_ATTEMPTS,
    maxSockets: CONCURRENCY,
  })
  const subscriptions = (roomName: string, count: number, prefix: string) =>
    Array.from({ length: count }, (_, i) =>
      Subscription.build(BatchPutRequest)
        .item({ roomName, connectionId: `${prefix}-${i}`, userName: `user-${i % 97}`, subscribedAt: 1 })
        .params(),
    )
  await writeInBatches(
    documentClient,
    TableName,
    Array.from({ length: others / 20 }, (_, r) => subscriptions(`elsewhere-${r}`, 20, `other${r}`)).flat(),
    { concurrency: 8 },
  )
  for (const size of sizes) {
    const roomName = `fan-${size}`
    await router.repository.subscribe({ roomName, connectionId: `${roomName}-0`, userName: 'sender' })
    await writeInBatches(documentClient, TableName, subscriptions(roomName, size, roomName).slice(1), {
      concurrency: 8,
    })
  }

  const post = (connectionIds: string[], data: string) =>
    mapWithConcurrency(connectionIds, CONCURRENCY, (ConnectionId) =>
      management.send(new PostToConnectionCommand({ ConnectionId, Data: data })),
    )
  let clock = 1_800_000_000_000
  const storeMessage = (roomName: string, userName: string, connectionId: string, message: string) => {
    const time = clock++
    const id = `b${time}`
    return documentClient.send(
      new PutCommand({
        TableName,
        Item: {
          ...messageKey({ roomName, time, id }),
          _et: 'Message',
          data: userName,
          roomName,
          time,
          id,
          connectionId,
          message,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    )
  }
  /** The AWS sample's way to find a room's connections: a filtered Scan of the whole table. */
  const scanForRoom = async (roomName: string) => {
    return allItems(
      scanPages(documentClient, {
        TableName,
        FilterExpression: 'pk = :pk AND #et = :sub',
        ExpressionAttributeNames: { '#et': '_et' },
        ExpressionAttributeValues: { ':pk': subscriptionPartition(roomName), ':sub': 'Subscription' },
      }),
    )
  }
  const rows: string[][] = []
  const checks: Section['checks'] = []
  for (const size of sizes) {
    const roomName = `fan-${size}`
    const sender = `${roomName}-0`
    const variants = {
      chatdb: () =>
        router.handler(
          websocketEvent('sendMessage', sender, { action: 'sendMessage', roomName, message: 'hello' }),
        ),
      'raw minimum': async () => {
        const { Items = [] } = await documentClient.send(
          new QueryCommand({
            TableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': subscriptionPartition(roomName) },
            ConsistentRead: true,
          }),
        )
        const members = Items.filter((i) => i._et === 'Subscription')
        const me = members.find((i) => i.data === sender)
        if (!me) throw new Error('sender not subscribed')
        await storeMessage(roomName, me.userName, sender, 'hello')
        const frame = JSON.stringify({
          type: 'newMessage',
          roomName,
          message: { id: `m${clock}`, userName: me.userName, message: 'hello', time: clock },
        })
        await post(
          members.map((i) => i.data as string),
          frame,
        )
      },
      'Scan baseline': async () => {
        const members = await scanForRoom(roomName)
        const me = members.find((i) => i.data === sender)
        await storeMessage(roomName, String(me?.userName), sender, 'hello')
        const frame = JSON.stringify({
          type: 'newMessage',
          roomName,
          message: { id: `m${clock}`, userName: me?.userName, message: 'hello', time: clock },
        })
        await post(
          members.map((i) => i.data as string),
          frame,
        )
      },
    }
    const results = await compare(variants, options)
    // The part the design decides: finding the targets (the posts cost the same for everyone).
    const lookups = await compare(
      { query: () => router.repository.connectionsInRoom(roomName), scan: () => scanForRoom(roomName) },
      options,
    )
    const lookup = (name: string) => lookups.find((r) => r.name === name)?.p50 ?? Number.NaN
    const p50 = (name: string) => results.find((r) => r.name === name)?.p50 ?? Number.NaN
    const chatdb = p50('chatdb')
    const raw = p50('raw minimum')
    const scan = p50('Scan baseline')
    rows.push([
      size.toLocaleString('en-US'),
      chatdb.toFixed(2),
      raw.toFixed(2),
      scan.toFixed(2),
      (chatdb / raw).toFixed(2),
      (scan / chatdb).toFixed(1),
      lookup('query').toFixed(2),
      lookup('scan').toFixed(2),
      (lookup('scan') / lookup('query')).toFixed(0),
    ])
    checks.push({
      name: `sendMessage to ${size} vs raw minimum`,
      value: chatdb / raw,
      target: 1.2,
      better: 'lower',
    })
    checks.push({
      name: `Scan baseline / chatdb at ${size} subscribers`,
      value: scan / chatdb,
      target: 5,
      better: 'higher',
    })
  }
  router.close()
  management.destroy()
  await sink.close()
  return {
    title: `sendMessage fan-out (table with ${others.toLocaleString('en-US')} other subscriptions)`,
    description:
      `p50 latency in ms of one sendMessage, from the event to the last post acknowledged by a local HTTP @connections ` +
      `endpoint, ${CONCURRENCY} posts in flight over as many keep-alive sockets for every variant (the router's defaults). "raw minimum" is hand-written: one consistent Query, ` +
      'one PutItem, the posts. "Scan baseline" finds the room\'s connections with a filtered Scan of the whole table, as ' +
      'the AWS sample chat app does with its connections table.',
    header: [
      'subscribers',
      'chatdb',
      'raw minimum',
      'Scan baseline',
      'chatdb / raw',
      'Scan / chatdb',
      'lookup: Query',
      'lookup: Scan',
      'Scan / Query',
    ],
    rows,
    checks,
  }
}
