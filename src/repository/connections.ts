import { BatchDeleteRequest } from 'dynamodb-toolbox/entity/actions/batchDelete'
import { DeleteItemCommand } from 'dynamodb-toolbox/entity/actions/delete'
import { $remove, UpdateItemCommand } from 'dynamodb-toolbox/entity/actions/update'
import { QueryCommand } from 'dynamodb-toolbox/table/actions/query'
import { BASE_SUBSCRIPTION_SHARD, subscriptionPartition, subscriptionShardOfPartition } from '../keys.js'
import { DATA_INDEX } from '../table.js'
import { mapWithConcurrency } from '../util/concurrency.js'
import { assertConnectionId, assertRoomName } from '../validation.js'
import { writeInBatches } from './batchWrite.js'
import { conditionHeld } from './conditionalCheck.js'
import { allItems, type PageKey, pages } from './pager.js'
import { createPresenceOutbox } from './presenceOutbox.js'
import type { RepositoryContext } from './repositoryContext.js'
import { layoutOf, type RoomLayout } from './roomLayout.js'
import { readRoomSnapshotUpTo } from './roomSnapshot.js'
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
  const { Subscription, Departure } = entities
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
  async function deleteIfStill(item: MembershipItem): Promise<boolean> {
    const { partition, roomName, connectionId } = item
    const key = { partition, roomName, connectionId }
    const delete_ = item.subscribed
      ? Subscription.build(DeleteItemCommand)
          .key(key)
          .options({ condition: { attr: 'entity', eq: Subscription.entityName } })
      : Departure.build(DeleteItemCommand)
          .key(key)
          .options({ condition: { attr: 'entity', eq: Departure.entityName } })
    return conditionHeld(delete_.send())
  }

  /** Sets or clears `unfinished` on the item while it is what `of` says (its entity stays what it is). */
  async function setUnfinished(
    input: { roomName: string; connectionId: string; of: 'subscription' | 'departure' },
    unfinished: boolean,
  ) {
    const change = {
      roomName: assertRoomName(input.roomName),
      connectionId: assertConnectionId(input.connectionId),
      unfinished: unfinished ? true : $remove(),
    }
    const update =
      input.of === 'subscription'
        ? Subscription.build(UpdateItemCommand)
            .item(change)
            .options({ condition: { attr: 'entity', eq: Subscription.entityName } })
        : Departure.build(UpdateItemCommand)
            .item(change)
            .options({ condition: { attr: 'entity', eq: Departure.entityName } })
    await conditionHeld(update.send())
  }

  return {
    /** Room names a connection is subscribed to, through the GSI (eventually consistent). */
    async roomsOfConnection(connectionId: string): Promise<{ roomName: string; userName: string }[]> {
      const query = table
        .build(QueryCommand)
        .entities(Subscription)
        .query({ index: DATA_INDEX, partition: assertConnectionId(connectionId) })
      const read = (exclusiveStartKey: PageKey | undefined) =>
        query.options({ limit: pageSize, exclusiveStartKey }).send()
      return (await allItems(pages(read))).map(({ roomName, userName }) => ({ roomName, userName }))
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
      // Subscriptions and departures, in one GSI query: both go with the connection. Each
      // item's `partition` is the one it has (the GSI projects it), not one computed from the
      // room: a large room's subscription lives in a shard partition `Subscription|<room>|<k>`.
      const query = table
        .build(QueryCommand)
        .entities(Subscription, Departure)
        .query({ index: DATA_INDEX, partition: assertConnectionId(connectionId) })
      const read = (exclusiveStartKey: PageKey | undefined) =>
        query.options({ limit: pageSize, exclusiveStartKey, showEntityAttr: true }).send()
      const rooms = (await allItems(pages(read))).map(
        ({ entity, roomName, partition = subscriptionPartition(roomName), userName }): MembershipItem => ({
          roomName,
          userName,
          connectionId,
          partition,
          subscribed: entity === Subscription.entityName,
        }),
      )
      // A large room's items are deleted on their own, each only while it is what the index
      // said: a subscription is counted out when it goes, and only by the call whose delete took
      // it (`$disconnect` and a 410 cleanup of the same connection both read it); a departure
      // may have been written over by a subscribe since, which must stay (and stay counted).
      const inLargeRoom = ({ roomName, partition }: MembershipItem) => {
        const shard = subscriptionShardOfPartition(partition, roomName)
        return (
          (shard !== undefined && shard !== BASE_SUBSCRIPTION_SHARD) ||
          layouts.remembered(roomName) !== undefined
        )
      }
      const [removedLarge] = await Promise.all([
        mapWithConcurrency(rooms.filter(inLargeRoom), concurrency, async (room) =>
          (await deleteIfStill(room)) && room.subscribed ? [room] : [],
        ),
        writeInBatches(
          documentClient,
          tableName,
          rooms
            .filter((room) => !inLargeRoom(room))
            .map(({ roomName, partition }) =>
              // The key of a subscription and of a departure are built alike.
              Subscription.build(BatchDeleteRequest).key({ partition, roomName, connectionId }).params(),
            ),
          context.batchWrite,
        ),
      ])
      const subscriptions = [...rooms.filter((r) => r.subscribed && !inLargeRoom(r)), ...removedLarge.flat()]
      // Each room on its own: one room that cannot be read must not cost the others their news.
      return mapWithConcurrency(subscriptions, concurrency, async ({ roomName, userName, partition }) => {
        try {
          return await settleAfterLeaving(roomName, userName, partition, connectionId)
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

/** A subscription or departure of a connection, as `removeConnection` reads it through the GSI. */
interface MembershipItem {
  roomName: string
  userName: string
  connectionId: string
  /** The partition the item is in: the room's, or a large room's shard partition. */
  partition: string
  /** A Subscription (else a Departure). */
  subscribed: boolean
}
