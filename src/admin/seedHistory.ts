import { BatchGetRequest } from 'dynamodb-toolbox/entity/actions/batchGet'
import { BatchPutRequest } from 'dynamodb-toolbox/entity/actions/batchPut'
import { BatchGetCommand, execute } from 'dynamodb-toolbox/table/actions/batchGet'
import { messageKey } from '../keys.js'
import { BATCH_WRITE_LIMIT } from '../repository/batchWrite.js'
import type { TableStore } from '../repository/tableStore.js'
import { chunk } from '../util/concurrency.js'
import type { SeedDataset } from './seedDataset.js'

export interface HistoryResult {
  /** Messages in the dataset. */
  messages: number
  /** Messages that were missing and are written now. */
  written: number
  /** Messages already in the table (left as they are: a migration may have changed them). */
  present: number
}

export interface HistoryOptions {
  /**
   * Called before each batch of 25 is written: throws to stop there (Ctrl-C in `chatdb dev`).
   * Every batch lands whole or is rewritten by the next run, so stopping between them is safe.
   */
  beforeBatch?: (progress: { written: number; missing: number }) => void | Promise<void>
}

/** BatchGetItem reads at most 100 keys. */
const BATCH_GET_LIMIT = 100

/**
 * Makes sure every message of `dataset` is in the table — the history of its rooms, without its
 * subscriptions (a dataset's connection ids belong to no live socket). It reads which messages are
 * there (BatchGetItem, 100 keys a request) and writes the missing ones (BatchWriteItem, 25 a
 * request, one request after another). Idempotent per message, so an interrupted run is
 * completed by the next one, and a message already there is never overwritten.
 *
 * @example
 * const { written, present } = await seedHistory(store, loadSeedDataset(bundledDatasetPath()))
 */
export async function seedHistory(
  store: TableStore,
  dataset: SeedDataset,
  { beforeBatch }: HistoryOptions = {},
): Promise<HistoryResult> {
  const { Message } = store.entities
  const present = new Set<string>()
  for (const keys of chunk(dataset.messages, BATCH_GET_LIMIT)) {
    const command = store.table
      .build(BatchGetCommand)
      .requests(
        ...keys.map(({ roomName, time, id }) => Message.build(BatchGetRequest).key({ roomName, time, id })),
      )
    // execute() resends UnprocessedKeys, up to maxAttempts requests.
    const {
      Responses: [found = []],
    } = await execute({ maxAttempts: 10 }, command)
    for (const message of found) if (message) present.add(messageKey(message).sk)
  }
  const connectionOf = new Map(dataset.users.map((u) => [u.userName, u.connectionId]))
  const missing = dataset.messages.filter((message) => !present.has(messageKey(message).sk))
  let written = 0
  for (const batch of chunk(missing, BATCH_WRITE_LIMIT)) {
    await beforeBatch?.({ written, missing: missing.length })
    const requests = batch.map(({ id, roomName, userName, time, message }) =>
      Message.build(BatchPutRequest)
        .item({ id, roomName, userName, time, message, connectionId: connectionOf.get(userName) as string })
        .params(),
    )
    await store.writeItems(requests)
    written += batch.length
  }
  return { messages: dataset.messages.length, written, present: present.size }
}
