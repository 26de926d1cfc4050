import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { QueryCommand } from 'dynamodb-toolbox/table/actions/query'
import { DEPARTURE_ENTITY } from '../entities/index.js'
import { BASE_SUBSCRIPTION_SHARD, subscriptionKey, subscriptionShardOfPartition } from '../keys.js'
import { DATA_INDEX } from '../table.js'
import { mapWithConcurrency } from '../util/concurrency.js'
import { assertConnectionId, assertRoomName } from '../validation.js'
import { writeInBatches } from './batchWrite.js'
import { conditionHeld } from './conditionalCheck.js'
import { allItems, queryPages } from './pager.js'
import { createPresenceOutbox } from './presenceOutbox.js'
import type { RepositoryContext } from './repositoryContext.js'
import { layoutOf, type RoomLayout } from './roomLayout.js'
import { readRoomSnapshotUpTo } from './roomSnapshot.js'
import { ENTITY_ATTRIBUTE } from './savedItems.js'
import { toChatDbError } from './storeErrors.js'
import type { RemovedSubscription } from './types.js'

/**
 * The repository's view of one connection: its rooms, its removal (`$disconnect`), and the
 * marks a failed request leaves on its subscription for the next one to finish.
 *
 * @example
 * const connections = createConnections(createRepositoryContext({ documentClient }))
 * const removed = await connections.removeConnection('abc=')
 */
export function createConnections(context: RepositoryContext) {
  const { documentClient, tableName, table, entities, pageSize, concurrency, readSnapshot, upkeep } = context
  const { Subscription } = entities
  const { layouts, lifecycle } = context
  const outbox = createPresenceOutbox({
    documentClient,
    tableName,
    now: context.now,
    windowMs: context.coalesceWindowMs,
    leaseMs: context.coalesceLeaseMs,
    sleep: context.sleep,
  })

  /**
   * Settles a room a connection left and says who is left. A room that fits in `coalesceFrom`
   * items is read once (the same single Query as a full read) and settled by this leaver; a
   * bigger one goes through its presence outbox: only the holder of the burst reads it in full
   * and settles it, once for every departure of the burst.
   */
  async function settleAfterLeaving(
    roomName: string,
    userName: string,
    pk: string,
    connectionId: string,
  ): Promise<RemovedSubscription> {
    const partition = subscriptionShardOfPartition(pk, roomName)
    if (partition !== undefined && partition !== BASE_SUBSCRIPTION_SHARD) {
      // In a shard: the room is large (its shard count is on its guard, or remembered).
      return leftLarge(roomName, userName, partition, await layouts.read(roomName))
    }
    const remembered = layouts.remembered(roomName)
    if (remembered) return leftLarge(roomName, userName, BASE_SUBSCRIPTION_SHARD, remembered)
    // The guard is one more item of the partition: a room of `coalesceFrom - 1` subscribers fits.
    const first = await readRoomSnapshotUpTo(table, entities, roomName, {
      pageSize,
      maxItems: context.coalesceFrom + 1,
    })
    // The guard sorts before the subscriptions (`#room`) for every name that starts with a
    // character after `#`; for the others a capped read may stop before it.
    const { state } = first.snapshot
    const layout = state || first.complete ? layoutOf(state) : await layouts.read(roomName)
    if (layout.kind === 'large') {
      // Large, and new to this process: the batch delete cannot say whether this call removed
      // the member, so its count carries a token naming the connection, and a second removal
      // of it (racing this one) fails its condition unless another count landed in between.
      layouts.remember(roomName, layout)
      return leftLarge(roomName, userName, BASE_SUBSCRIPTION_SHARD, layout, `removed:${connectionId}`)
    }
    if (first.complete) {
      const transition = await upkeep.settle(first.snapshot)
      return { layout: 'small', roomName, userName, subscribers: first.snapshot.subscribers, transition }
    }
    const burst = await outbox.leave(roomName, userName)
    if (!burst.holder) {
      if (!burst.displaced)
        return { layout: 'small', roomName, userName, subscribers: [], transition: undefined, burst }
      // Rare: a takeover (whose holder settles too; twice is harmless) or this holder's own
      // delete resent after a lost answer, after which nobody else would settle the room.
      const transition = await upkeep.settle(await readSnapshot(roomName))
      return { layout: 'small', roomName, userName, subscribers: [], transition, burst: { holder: false } }
    }
    // After the outbox was taken: every departure of the burst is in this read.
    const snapshot = await readSnapshot(roomName)
    const transition = await upkeep.settle(snapshot)
    return { layout: 'small', roomName, userName, subscribers: snapshot.subscribers, transition, burst }
  }

  /** A departure from a large room: counted, and the room settled if it may be empty; nobody is told. */
  async function leftLarge(
    roomName: string,
    userName: string,
    partition: number,
    layout: RoomLayout,
    countToken?: string,
  ): Promise<RemovedSubscription> {
    if (layout.kind === 'small') {
      // A shard partition of a room whose guard has no shards: nothing this release writes. Settle it whole.
      const snapshot = await readSnapshot(roomName)
      const transition = await upkeep.settle(snapshot)
      return { layout: 'small', roomName, userName, subscribers: [], transition }
    }
    const { shards } = layout
    const transition = await lifecycle.countDeparture(roomName, partition, shards, countToken)
    return { layout: 'large', shards, roomName, userName, transition }
  }

  /**
   * Deletes an item only while it is still a subscription (or a departure, `subscribed` false);
   * true when this call removed it. A condition, not ALL_OLD: with ALL_OLD alone, DynamoDB Local
   * counted a member that `$disconnect` and a 410 cleanup removed at once out twice, and a
   * departure read through the index may since have been written over by a subscribe, which an
   * unconditional delete would take with it. A condition is decided once (the SDK's resend of a
   * delete whose answer was lost fails it: uncounted, low, never high).
   */
  async function deleteIfStill(key: { pk: string; sk: string }, subscribed: boolean): Promise<boolean> {
    return conditionHeld(
      documentClient.send(
        new DeleteCommand({
          TableName: tableName,
          Key: key,
          ConditionExpression: '#entity = :entity',
          ExpressionAttributeNames: { '#entity': ENTITY_ATTRIBUTE },
          ExpressionAttributeValues: { ':entity': subscribed ? Subscription.entityName : DEPARTURE_ENTITY },
        }),
      ),
    )
  }

  async function setUnfinished(
    input: { roomName: string; connectionId: string; of: 'subscription' | 'departure' },
    unfinished: boolean,
  ) {
    const entity = input.of === 'subscription' ? Subscription.entityName : DEPARTURE_ENTITY
    await conditionHeld(
      documentClient.send(
        new UpdateCommand({
          TableName: tableName,
          Key: subscriptionKey(assertRoomName(input.roomName), assertConnectionId(input.connectionId)),
          UpdateExpression: unfinished ? 'SET #unfinished = :true' : 'REMOVE #unfinished',
          // Raw, not toolbox: the item's entity must stay what it is.
          ConditionExpression: '#entity = :entity',
          ExpressionAttributeNames: { '#unfinished': 'unfinished', '#entity': ENTITY_ATTRIBUTE },
          ExpressionAttributeValues: unfinished
            ? { ':true': true, ':entity': entity }
            : { ':entity': entity },
        }),
      ),
    )
  }

  return {
    /** Room names a connection is subscribed to, through the GSI (eventually consistent). */
    async roomsOfConnection(connectionId: string): Promise<{ roomName: string; userName: string }[]> {
      const params = table
        .build(QueryCommand)
        .entities(Subscription)
        .query({ index: DATA_INDEX, partition: assertConnectionId(connectionId) })
        .options({ limit: pageSize })
        .params()
      const items = await allItems(queryPages(documentClient, params))
      return items.map((item) => ({ roomName: item.roomName as string, userName: item.userName as string }))
    },

    /**
     * Removes every subscription of a connection (as `$disconnect` does) and settles each room.
     * Requests: 1 GSI Query + ceil(k/25) BatchWriteItem + 1 Query per room (+ transitions); a
     * large room's subscription instead: 1 DeleteItem + 1 UpdateItem (its count), and only the
     * call whose delete removed it counts it out and answers the room.
     * In a room bigger than `coalesceFrom` the Query reads one capped page and the departure is
     * coalesced (`burst` in the answer): + 1 UpdateItem, and for the burst's holder a wait of
     * `coalesceWindowMs`, a DeleteItem and a full read of the room.
     * The GSI is eventually consistent: a subscription written an instant ago may be missed;
     * the broadcaster removes such leftovers when a post answers 410. A room that cannot be
     * read after the delete comes back with `error` set; the others are still settled.
     */
    async removeConnection(connectionId: string): Promise<RemovedSubscription[]> {
      // Subscriptions and departures, in one GSI query: both go with the connection.
      const base = table
        .build(QueryCommand)
        .entities(Subscription)
        .query({ index: DATA_INDEX, partition: assertConnectionId(connectionId) })
        .options({ limit: pageSize, entityAttrFilter: false })
        .params()
      const params = {
        ...base,
        FilterExpression: '#chatdbEntity IN (:chatdbSubscription, :chatdbDeparture)',
        ExpressionAttributeNames: { ...base.ExpressionAttributeNames, '#chatdbEntity': ENTITY_ATTRIBUTE },
        ExpressionAttributeValues: {
          ...base.ExpressionAttributeValues,
          ':chatdbSubscription': Subscription.entityName,
          ':chatdbDeparture': DEPARTURE_ENTITY,
        },
      }
      const rooms = (await allItems(queryPages(documentClient, params))).map((item) => ({
        roomName: item.roomName as string,
        userName: item.userName as string,
        subscribed: item[ENTITY_ATTRIBUTE] === Subscription.entityName,
        // The key the item has (the GSI projects it), not one computed from the room: a large
        // room's subscription lives in a shard partition `Subscription|<room>|<k>`.
        key: { pk: item.pk as string, sk: item.sk as string },
      }))
      // A large room's items are deleted on their own, each only while it is what the index
      // said: a subscription is counted out when it goes, and only by the call whose delete took
      // it (`$disconnect` and a 410 cleanup of the same connection both read it); a departure
      // may have been written over by a subscribe since, which must stay (and stay counted).
      const inLargeRoom = ({ roomName, key }: (typeof rooms)[number]) => {
        const partition = subscriptionShardOfPartition(key.pk, roomName)
        return (
          (partition !== undefined && partition !== BASE_SUBSCRIPTION_SHARD) ||
          layouts.remembered(roomName) !== undefined
        )
      }
      const [removedLarge] = await Promise.all([
        mapWithConcurrency(rooms.filter(inLargeRoom), concurrency, async (room) =>
          (await deleteIfStill(room.key, room.subscribed)) && room.subscribed ? [room] : [],
        ),
        writeInBatches(
          documentClient,
          tableName,
          rooms.filter((room) => !inLargeRoom(room)).map(({ key }) => ({ DeleteRequest: { Key: key } })),
          context.batchWrite,
        ),
      ])
      const subscriptions = [...rooms.filter((r) => r.subscribed && !inLargeRoom(r)), ...removedLarge.flat()]
      // Each room on its own: one room that cannot be read must not cost the others their news.
      return mapWithConcurrency(subscriptions, concurrency, async ({ roomName, userName, key }) => {
        try {
          return await settleAfterLeaving(roomName, userName, key.pk, connectionId)
        } catch (error) {
          return { layout: 'unknown', roomName, userName, error: toChatDbError(error) }
        }
      })
    },

    /**
     * Marks the subscription (`of: 'subscription'`) or departure (`of: 'departure'`) of a
     * connection in a room whose subscribe or unsubscribe failed after writing it: the next
     * subscribe or unsubscribe of the connection to the room finishes the work (announces,
     * re-applies the room's listing). Does nothing when there is no such item.
     * Requests: one UpdateItem.
     */
    async markUnfinished(input: {
      roomName: string
      connectionId: string
      of: 'subscription' | 'departure'
    }): Promise<void> {
      await setUnfinished(input, true)
    },

    /** Clears `markUnfinished` on a subscription once its work is done. Requests: one UpdateItem. */
    async markFinished(input: { roomName: string; connectionId: string }): Promise<void> {
      await setUnfinished({ ...input, of: 'subscription' }, false)
    },
  }
}
