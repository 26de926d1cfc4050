import {
  type BillingMode,
  CreateTableCommand,
  type CreateTableCommandInput,
  DeleteTableCommand,
  type TableDescription,
} from '@aws-sdk/client-dynamodb'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { ChatDbError } from '../errors.js'
import { findTable } from '../repository/tableDescription.js'
import { createTableStore } from '../repository/tableStore.js'
import { tableDefinition } from '../table.js'
import { sleep } from '../util/concurrency.js'

import { type CountItemsOptions, countItems, type ItemCount } from './countItems.js'
import { tableDiff } from './tableDiff.js'

// DescribeTable and DescribeTimeToLive live in the data layer (the table store answers them too);
// exported here as well, where the table's other lifecycle calls are.
export { describeTimeToLive, findTable, type TimeToLiveStatus } from '../repository/tableDescription.js'

export interface WaitOptions {
  /** Delay between DescribeTable polls (default 250 ms). */
  pollMs?: number
  /** Gives up after this long (default 5 minutes). */
  timeoutMs?: number
}

export interface CreateChatTableOptions extends WaitOptions {
  /** For a new table (default PAY_PER_REQUEST); when given, an existing table's is compared too. */
  billingMode?: BillingMode
  /** Capacity units for PROVISIONED tables, applied to the table and its GSI (default 5 each). */
  readCapacity?: number
  writeCapacity?: number
  /** Wait until the table and its GSI are ACTIVE (default true). */
  wait?: boolean
  dryRun?: boolean
}

export interface CreateChatTableResult {
  tableName: string
  action: 'created' | 'exists' | 'would-create'
  /** Table status when the command returned (`ACTIVE` once waited for). */
  status: string
  /** How an existing table differs from `tableDefinition` (empty when it matches). */
  differences: string[]
  definition: CreateTableCommandInput
}

/** `tableDefinition(name)` with the billing mode (and capacity, for PROVISIONED) asked for. */
export function chatTableDefinition(
  tableName: string,
  { billingMode = 'PAY_PER_REQUEST', readCapacity = 5, writeCapacity = 5 }: CreateChatTableOptions = {},
): CreateTableCommandInput {
  const definition = tableDefinition(tableName)
  if (billingMode === 'PAY_PER_REQUEST') return definition
  const ProvisionedThroughput = { ReadCapacityUnits: readCapacity, WriteCapacityUnits: writeCapacity }
  return {
    ...definition,
    BillingMode: billingMode,
    ProvisionedThroughput,
    GlobalSecondaryIndexes: definition.GlobalSecondaryIndexes?.map((index) => ({
      ...index,
      ProvisionedThroughput,
    })),
  }
}

/**
 * Creates the chat table from `tableDefinition`, idempotently: an existing table is compared with
 * the definition instead, and the differences returned (nothing is changed).
 *
 * @example
 * const { action, differences } = await createChatTable(documentClient, 'chat')
 */
export async function createChatTable(
  documentClient: DynamoDBDocumentClient,
  tableName: string,
  options: CreateChatTableOptions = {},
): Promise<CreateChatTableResult> {
  const { wait = true, dryRun = false } = options
  const definition = chatTableDefinition(tableName, options)
  const existing = await findTable(documentClient, tableName)
  if (existing) {
    const ready = wait && !dryRun ? await waitForTable(documentClient, tableName, options) : existing
    // Billing is an operating choice, not part of the layout: checked only when asked for.
    const differences = tableDiff(
      options.billingMode ? definition : { ...definition, BillingMode: undefined },
      existing,
    )
    return { tableName, action: 'exists', status: ready?.TableStatus ?? 'UNKNOWN', differences, definition }
  }
  if (dryRun) return { tableName, action: 'would-create', status: 'NONE', differences: [], definition }
  let created: TableDescription | undefined
  try {
    created = (await documentClient.send(new CreateTableCommand(definition))).TableDescription
  } catch (error) {
    // Another process created it between our DescribeTable and CreateTable: compare instead.
    if (error instanceof Error && error.name === 'ResourceInUseException')
      return createChatTable(documentClient, tableName, options)
    throw error
  }
  const ready = wait ? await waitForTable(documentClient, tableName, options) : created
  return {
    tableName,
    action: 'created',
    status: ready?.TableStatus ?? 'CREATING',
    differences: [],
    definition,
  }
}

/** Polls DescribeTable until the table and every GSI are ACTIVE. */
export async function waitForTable(
  documentClient: DynamoDBDocumentClient,
  tableName: string,
  { pollMs = 250, timeoutMs = 300_000 }: WaitOptions = {},
): Promise<TableDescription> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const table = await findTable(documentClient, tableName)
    if (!table)
      throw new ChatDbError('store.tableNotFound', `table "${tableName}" disappeared while waiting for it`)
    const indexesActive = (table.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE')
    if (table.TableStatus === 'ACTIVE' && indexesActive) return table
    if (Date.now() > deadline) {
      throw new ChatDbError(
        'store.unavailable',
        `table "${tableName}" is still ${table.TableStatus} after ${timeoutMs} ms`,
      )
    }
    await sleep(pollMs)
  }
}

export interface DeleteChatTableResult {
  tableName: string
  action: 'deleted' | 'would-delete'
  /** Its items before deletion (see `countItems`). */
  items: ItemCount
}

/**
 * Deletes the table and waits until it is gone. Throws `store.tableNotFound` when it does not exist.
 * `items` is counted first with `countItems` (pass `items` when it was counted already).
 *
 * @example
 * await deleteChatTable(documentClient, 'chat-test')
 */
export async function deleteChatTable(
  documentClient: DynamoDBDocumentClient,
  tableName: string,
  {
    dryRun = false,
    pollMs = 250,
    timeoutMs = 300_000,
    items,
    count,
  }: WaitOptions & { dryRun?: boolean; items?: ItemCount; count?: CountItemsOptions } = {},
): Promise<DeleteChatTableResult> {
  const existing = await findTable(documentClient, tableName)
  if (!existing) throw new ChatDbError('store.tableNotFound', `table "${tableName}" does not exist`)
  const counted =
    items ?? (await countItems(createTableStore({ documentClient, tableName }), existing, count))
  if (dryRun) return { tableName, action: 'would-delete', items: counted }
  await documentClient.send(new DeleteTableCommand({ TableName: tableName }))
  const deadline = Date.now() + timeoutMs
  while (await findTable(documentClient, tableName)) {
    if (Date.now() > deadline)
      throw new ChatDbError('store.unavailable', `table "${tableName}" is still being deleted`)
    await sleep(pollMs)
  }
  return { tableName, action: 'deleted', items: counted }
}
