import { BatchWriteCommand, PutCommand } from '@aws-sdk/lib-dynamodb'
import { PutItemCommand } from 'dynamodb-toolbox/entity/actions/put'
import { beforeAll, describe, expect, it } from 'vitest'
import { createEntities } from '../../../src/entities/index.js'
import { isChatDbError } from '../../../src/errors.js'
import {
  BASE_SUBSCRIPTION_SHARD,
  PRESENCE_OUTBOX_SORT_KEY,
  subscriptionShardOf,
  subscriptionShardPartition,
} from '../../../src/keys.js'
import { createTable } from '../../../src/table.js'
import { chunk } from '../../../src/util/concurrency.js'
import { useTestTable } from '../../support/dynamo.js'

const t = useTestTable()
const SHARDS = 4

/**
 * A subscription as the Subscription entity writes it, moved into the shard partition its
 * connection hashes to: the layout the large-room work writes (docs/data-model.md).
 */
function shardedSubscription(roomName: string, connectionId: string, shard: number) {
  const entities = createEntities(createTable({ name: t.tableName, documentClient: t.documentClient }))
  const { Item } = entities.Subscription.build(PutItemCommand)
    .item({ roomName, connectionId, userName: `user-${connectionId}`, subscribedAt: 1 })
    .params()
  return { ...Item, pk: subscriptionShardPartition(roomName, shard) }
}

async function putAll(items: Record<string, unknown>[]) {
  for (const batch of chunk(items, 25)) {
    await t.documentClient.send(
      new BatchWriteCommand({
        RequestItems: { [t.tableName]: batch.map((Item) => ({ PutRequest: { Item } })) },
      }),
    )
  }
}

describe('chatRepository', () => {
  describe('shardSubscribers', () => {
    const room = 'huge'
    const ids = Array.from({ length: 120 }, (_, i) => `c${String(i).padStart(3, '0')}=`)
    const byShard = new Map<number, string[]>()

    beforeAll(async () => {
      for (const id of ids) {
        const shard = subscriptionShardOf(id, SHARDS)
        byShard.set(shard, [...(byShard.get(shard) ?? []), id])
      }
      await putAll(ids.map((id) => shardedSubscription(room, id, subscriptionShardOf(id, SHARDS))))
      // What else a shard partition may hold: a departure and a stray outbox-like item.
      await putAll([
        { ...shardedSubscription(room, 'left=', 0), _et: 'Departure', leftAt: 2 },
        { pk: subscriptionShardPartition(room, 0), sk: PRESENCE_OUTBOX_SORT_KEY, _et: 'PresenceOutbox' },
      ])
      // The base partition: members from before the room became large, through the repository.
      const repository = t.repository()
      await repository.subscribe({ roomName: room, connectionId: 'old-1=', userName: 'ada' })
      await repository.subscribe({ roomName: room, connectionId: 'old-2=', userName: 'bob' })
      await repository.subscribe({ roomName: room, connectionId: 'old-3=', userName: 'cy' })
      await repository.unsubscribe({ roomName: room, connectionId: 'old-3=' })
    })

    it('reads every subscription of a shard partition and nothing else, in one request', async () => {
      const repository = t.repository()
      expect([...byShard.keys()].sort()).toEqual([0, 1, 2, 3])
      for (const [shard, expected] of byShard) {
        t.counter.reset()
        const targets = await repository.shardSubscribers(room, shard)
        expect(targets.sort()).toEqual([...expected].sort())
        expect(t.counter.counts()).toEqual({ Query: 1 })
      }
      expect(await repository.shardSubscribers(room, 0)).not.toContain('left=')
    })

    it('reads the base partition as shard -1: its subscribers, not its state or departures', async () => {
      const targets = await t.repository().shardSubscribers(room, BASE_SUBSCRIPTION_SHARD)
      expect(targets.sort()).toEqual(['old-1=', 'old-2='])
    })

    it('reads every page, one request each', async () => {
      const shard = subscriptionShardOf(ids[0] as string, SHARDS)
      const expected = byShard.get(shard) ?? []
      t.counter.reset()
      const targets = await t.repository({ pageSize: 10 }).shardSubscribers(room, shard)
      expect(targets.sort()).toEqual([...expected].sort())
      // Pages of 10 items; DynamoDB answers one more, empty page when the last one was full.
      const items = expected.length + (shard === 0 ? 2 : 0)
      expect(t.counter.counts().Query).toBe(Math.floor(items / 10) + 1)
    })

    it('answers nothing for a shard nobody was written to, or another room', async () => {
      await t.documentClient.send(
        new PutCommand({ TableName: t.tableName, Item: shardedSubscription('other', 'x=', 5) }),
      )
      expect(await t.repository().shardSubscribers(room, 5)).toEqual([])
      expect(await t.repository().shardSubscribers('other', 5)).toEqual(['x='])
    })

    it('refuses a shard that is not a whole number ≥ -1, and a bad room name', async () => {
      for (const shard of [-2, 1.5, Number.NaN, 1_024]) {
        const error = await t
          .repository()
          .shardSubscribers(room, shard)
          .catch((e: unknown) => e)
        expect(isChatDbError(error, 'validation.option'), String(shard)).toBe(true)
      }
      const error = await t
        .repository()
        .shardSubscribers('a|b', 0)
        .catch((e: unknown) => e)
      expect(isChatDbError(error, 'validation.roomName')).toBe(true)
    })
  })
})
