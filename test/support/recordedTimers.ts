import { vi } from 'vitest'

/**
 * Runs `run` with `setTimeout` replaced by one that records its delay and fires at once: the
 * waits of a backoff that sleeps on a real timer, without waiting them out.
 */
export async function timersOf<T>(
  run: () => Promise<T>,
): Promise<{ result: T; waits: (number | undefined)[] }> {
  const waits: (number | undefined)[] = []
  const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fire: () => void, ms?: number) => {
    waits.push(ms)
    queueMicrotask(fire)
    return 0
  }) as unknown as typeof setTimeout)
  try {
    return { result: await run(), waits }
  } finally {
    spy.mockRestore()
  }
}
