import { BatchPutRequest } from 'dynamodb-toolbox/entity/actions/batchPut'
import type { BatchWriteOptions } from '../repository/batchWrite.js'
import type { ChatRepository } from '../repository/chatRepository.js'
import type { TableStore } from '../repository/tableStore.js'
import { mapWithConcurrency } from '../util/concurrency.js'
import type { SeedDataset } from './seedDataset.js'

export interface SeedResult {
  rooms: number
  users: number
  /** Subscriptions made now, and those that were already there (a second run). */
  subscriptions: { created: number; existing: number }
  /** Messages written (a second run writes the same items again: same keys, no duplicates). */
  messages: number
  /** BatchWriteItem requests for the messages, retries included. */
  batchRequests: number
}

export interface SeedOptions {
  /** Rooms subscribed at once (subscribers of one room go one after another). Default 8. */
  concurrency?: number
  batchWrite?: BatchWriteOptions
  /** Called as work lands: `done` of `total` subscriptions plus messages. */
  onProgress?: (done: number, total: number) => void
}

/**
 * Writes a dataset in the project's layout: subscriptions through `repository.subscribe` (so
 * every room gets its guard and listing record exactly as live traffic makes them), messages
 * as Message items with BatchWriteItem (25 a chunk, parallel, unprocessed items retried).
 * Idempotent: subscribe is, and messages have fixed ids and times, hence fixed keys.
 *
 * @example
 * await seedTable(repository, store, generateDataset({ rooms: 3, users: 10, messages: 50, seed: 1 }))
 */
export async function seedTable(
  repository: ChatRepository,
  store: TableStore,
  dataset: SeedDataset,
  { concurrency = 8, batchWrite, onProgress }: SeedOptions = {},
): Promise<SeedResult> {
  const connectionOf = new Map(dataset.users.map((u) => [u.userName, u.connectionId]))
  const subscriptionCount = dataset.rooms.reduce((n, r) => n + r.subscribers.length, 0)
  const total = subscriptionCount + dataset.messages.length
  let done = 0
  const progress = (n: number) => {
    done += n
    onProgress?.(done, total)
  }

  const subscriptions = { created: 0, existing: 0 }
  // Rooms in parallel, each room's subscribers in turn: concurrent first subscribers of one room
  // would only contend for its guard.
  await mapWithConcurrency(dataset.rooms, concurrency, async ({ roomName, subscribers }) => {
    for (const userName of subscribers) {
      const connectionId = connectionOf.get(userName) as string
      const { subscribed } = await repository.subscribe({ roomName, connectionId, userName })
      subscriptions[subscribed ? 'created' : 'existing']++
      progress(1)
    }
  })

  const { Message } = store.entities
  const requests = dataset.messages.map(({ id, roomName, userName, time, message }) =>
    Message.build(BatchPutRequest)
      .item({ id, roomName, userName, time, message, connectionId: connectionOf.get(userName) as string })
      .params(),
  )
  const { requests: batchRequests } = await store.writeItems(requests, {
    ...batchWrite,
    onProgress: (written) => {
      batchWrite?.onProgress?.(written)
      progress(written)
    },
  })
  return {
    rooms: dataset.rooms.length,
    users: dataset.users.length,
    subscriptions,
    messages: dataset.messages.length,
    batchRequests,
  }
}

/**
 * Whether the table holds any room, active or not (one Query of the room partition, one item):
 * rooms exist as soon as anyone subscribed, whatever else (a migration ledger) is in the table.
 */
export async function hasChatData(store: TableStore): Promise<boolean> {
  return (await store.roomListings({ limit: 1, maxPages: 1 })).length > 0
}
