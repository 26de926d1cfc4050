import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { PutItemCommand } from 'dynamodb-toolbox/entity/actions/put'
import { SUBSCRIBER_COUNT_ENTITY } from '../src/entities/index.js'
import { SUBSCRIBER_COUNT_SORT_KEY, subscriptionShardOf, subscriptionShardPartition } from '../src/keys.js'
import { createChatRepository } from '../src/repository/chatRepository.js'
import { createTableStore } from '../src/repository/tableStore.js'
import { chunk, mapWithConcurrency } from '../src/util/concurrency.js'

export interface LargeRoomSeed {
  roomName: string
  members: readonly { connectionId: string; userName: string }[]
  /** S of the room (`largeRoomShards`). */
  shards: number
  /** The subscribe that brings the room to this many members marks it large. */
  threshold: number
}

/**
 * A large room on dynalite without paying a subscribe per member: the first `threshold` members
 * subscribe through the repository (the last of them marks the room large, exactly as in
 * production: the guard gets `shards`, the base partition its counter), and the rest are written
 * straight into their shard partitions (`subscriptionShardOf`) as the Subscription entity writes
 * them, with each shard's `#count` counter set to what it holds. The result is the layout the
 * library would have built had every member subscribed (docs/data-model.md, "Large rooms").
 */
export async function seedLargeRoom(
  documentClient: DynamoDBDocumentClient,
  tableName: string,
  { roomName, members, shards, threshold }: LargeRoomSeed,
): Promise<void> {
  const repository = createChatRepository({
    documentClient,
    tableName,
    maxSubscribersPerRoom: 10_000_000,
    largeRoomThreshold: threshold,
    largeRoomShards: shards,
  })
  const first = members.slice(0, threshold)
  for (const member of first) await repository.subscribe({ roomName, ...member })
  const { Subscription } = createTableStore({ documentClient, tableName }).entities
  const perShard = new Map<number, number>()
  const items = members.slice(threshold).map(({ connectionId, userName }) => {
    const shard = subscriptionShardOf(connectionId, shards)
    perShard.set(shard, (perShard.get(shard) ?? 0) + 1)
    const { Item } = Subscription.build(PutItemCommand)
      .item({ roomName, connectionId, userName, subscribedAt: 1 })
      .params()
    return { ...Item, pk: subscriptionShardPartition(roomName, shard) }
  })
  const counters = [...perShard].map(([shard, n]) => ({
    pk: subscriptionShardPartition(roomName, shard),
    sk: SUBSCRIBER_COUNT_SORT_KEY,
    _et: SUBSCRIBER_COUNT_ENTITY,
    n,
  }))
  await mapWithConcurrency(chunk([...items, ...counters], 25), 8, (batch) =>
    documentClient.send(
      new BatchWriteCommand({
        RequestItems: { [tableName]: batch.map((Item) => ({ PutRequest: { Item } })) },
      }),
    ),
  )
}
