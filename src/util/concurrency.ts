import { ChatDbError } from '../errors.js'

/**
 * `value` when it is a positive whole number (a count of posts, sockets, workers), else a
 * `validation.option` error naming the option: 0 or 1.5 would otherwise be rounded or clamped
 * somewhere far from the configuration that said it.
 */
export function positiveWholeNumber(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new ChatDbError('validation.option', `${name} must be a positive whole number (got ${value})`)
  }
  return value
}

/**
 * Maps `items` through `fn` with at most `limit` calls in flight, keeping the input order.
 * The first rejection rejects the whole call once the calls in flight have settled.
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  let failure: { error: unknown } | undefined
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const index = next++
      try {
        results[index] = await fn(items[index] as T, index)
      } catch (error) {
        failure ??= { error }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker))
  if (failure) throw failure.error
  return results
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = []
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size))
  return chunks
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
