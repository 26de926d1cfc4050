import {
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
} from '@aws-sdk/lib-dynamodb'

/** A key DynamoDB hands back to resume a Query or Scan (`LastEvaluatedKey`). */
export type PageKey = Record<string, unknown>

/** What one Query or Scan request answers, as far as paging cares. */
export interface PageOutput<Item> {
  Items?: Item[]
  Count?: number
  LastEvaluatedKey?: PageKey
}

export interface Page<Item> {
  items: Item[]
  /** Items matched on this page: the answer itself for a `Select: COUNT` request. */
  count: number
  /** Where the next page starts; undefined on the last page. */
  lastKey: PageKey | undefined
}

export interface PagerOptions {
  /** Resume after this key (a saved `lastKey`) instead of at the start. */
  startKey?: PageKey | undefined
  /** Stop after this many pages even when DynamoDB has more (default: every page). */
  maxPages?: number
}

/**
 * The one paging loop of the data layer: sends `readPage` with each page's start key and yields
 * the pages until DynamoDB says there are no more, or `maxPages` are read. To stop early (the
 * recent-messages query, once it holds `limit` messages), `break` out of the `for await`: no
 * further request is sent.
 *
 * `readPage` builds and sends the request (a toolbox command's `.send()`, or a document client
 * command for the hot paths and raw DynamoDB JSON), so every reader pages the same way.
 *
 * @example
 * for await (const { items } of pages((startKey) =>
 *   documentClient.send(new QueryCommand({ ...params, ExclusiveStartKey: startKey })),
 * )) console.log(items.length)
 */
export async function* pages<Item>(
  readPage: (startKey: PageKey | undefined) => Promise<PageOutput<Item>>,
  { startKey, maxPages = Number.POSITIVE_INFINITY }: PagerOptions = {},
): AsyncGenerator<Page<Item>> {
  let next = startKey
  for (let read = 0; read < maxPages; read++) {
    const output = await readPage(next)
    next = output.LastEvaluatedKey
    yield { items: output.Items ?? [], count: output.Count ?? 0, lastKey: next }
    if (next === undefined) return
  }
}

/**
 * The pages of a Query (built by toolbox's `.params()`, or by hand), items as the document
 * client unmarshalls them.
 *
 * @example
 * for await (const { items } of queryPages(documentClient, params)) rooms.push(...items)
 */
export function queryPages(
  documentClient: DynamoDBDocumentClient,
  params: QueryCommandInput,
  options?: PagerOptions,
): AsyncGenerator<Page<Record<string, unknown>>> {
  return pages(
    (ExclusiveStartKey) => documentClient.send(new QueryCommand({ ...params, ExclusiveStartKey })),
    options,
  )
}

/**
 * The pages of a Scan, items as the document client unmarshalls them.
 *
 * @example
 * for await (const { items } of scanPages(documentClient, { TableName: 'chat' })) count += items.length
 */
export function scanPages(
  documentClient: DynamoDBDocumentClient,
  params: ScanCommandInput,
  options?: PagerOptions,
): AsyncGenerator<Page<Record<string, unknown>>> {
  return pages(
    (ExclusiveStartKey) => documentClient.send(new ScanCommand({ ...params, ExclusiveStartKey })),
    options,
  )
}

/** Every item of every page (or of `maxPages`), in order. */
export async function allItems<Item>(source: AsyncIterable<Page<Item>>): Promise<Item[]> {
  const items: Item[] = []
  for await (const page of source) items.push(...page.items)
  return items
}
