import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { PutItemCommand } from 'dynamodb-toolbox/entity/actions/put'
import { createEntities } from '../../src/entities/index.js'
import { subscriptionShardPartition } from '../../src/keys.js'
import { createTable } from '../../src/table.js'
import { chunk } from '../../src/util/concurrency.js'

/**
 * Subscriptions as the Subscription entity writes them, moved into shard partition `shard` of
 * their room: the layout the large-room work writes (docs/data-model.md, "Large rooms").
 * Written raw, in bulk: faster than subscribing each one, and no counter is moved (tests that
 * need the counters subscribe through the repository).
 */
export async function writeShardSubscriptions(
  documentClient: DynamoDBDocumentClient,
  tableName: string,
  { roomName, shard, connectionIds }: { roomName: string; shard: number; connectionIds: readonly string[] },
): Promise<void> {
  const { Subscription } = createEntities(createTable({ name: tableName, documentClient }))
  const items = connectionIds.map((connectionId) => {
    const { Item } = Subscription.build(PutItemCommand)
      .item({ roomName, connectionId, userName: `user-${connectionId}`, subscribedAt: 1 })
      .params()
    return { ...Item, pk: subscriptionShardPartition(roomName, shard) }
  })
  for (const batch of chunk(items, 25)) {
    await documentClient.send(
      new BatchWriteCommand({
        RequestItems: { [tableName]: batch.map((Item) => ({ PutRequest: { Item } })) },
      }),
    )
  }
}
