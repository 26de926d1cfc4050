import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { type BatchWriteOptions, writeInBatches } from '../repository/batchWrite.js'
import { decodeItemLine, type RawItem, toNativeItem } from './dynamoJson.js'

export interface ImportResult {
  tableName: string
  items: number
  /** BatchWriteItem requests sent, retries included. */
  requests: number
  dryRun: boolean
}

/**
 * Restores an export: checks every line first (a malformed file writes nothing), then puts
 * the items with BatchWriteItem, 25 a chunk, in parallel, unprocessed items retried.
 * Numbers travel as `NumberValue` and sets as sets, so the table gets back the exported bytes.
 * Idempotent: an item already there is overwritten with itself.
 *
 * @example
 * await importTable(documentClient, 'chat', readFileSync('backup.jsonl', 'utf8').split('\n'))
 */
export async function importTable(
  documentClient: DynamoDBDocumentClient,
  tableName: string,
  lines: Iterable<string> | AsyncIterable<string>,
  { dryRun = false, batchWrite }: { dryRun?: boolean; batchWrite?: BatchWriteOptions } = {},
): Promise<ImportResult> {
  const items: RawItem[] = []
  let lineNumber = 0
  for await (const line of lines) {
    lineNumber++
    if (line.trim() !== '') items.push(decodeItemLine(line, lineNumber))
  }
  if (dryRun) return { tableName, items: items.length, requests: 0, dryRun }
  const { requests } = await writeInBatches(
    documentClient,
    tableName,
    items.map((item) => ({ PutRequest: { Item: toNativeItem(item) } })),
    batchWrite,
  )
  return { tableName, items: items.length, requests, dryRun }
}
