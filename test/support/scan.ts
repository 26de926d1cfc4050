import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb'

/** Every item of a table, raw (as stored), sorted by pk then sk. */
export async function scanAll(documentClient: DynamoDBDocumentClient, tableName: string) {
  const items: Record<string, unknown>[] = []
  let ExclusiveStartKey: Record<string, unknown> | undefined
  do {
    const page = await documentClient.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey }))
    items.push(...(page.Items ?? []))
    ExclusiveStartKey = page.LastEvaluatedKey
  } while (ExclusiveStartKey)
  const key = (item: Record<string, unknown>) => `${item.pk}\u0000${item.sk}`
  return items.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
}

/** A small deterministic PRNG (mulberry32), so randomized tests replay by seed. */
export function prng(seed: number) {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (max: number) => Math.floor(next() * max),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
  }
}
