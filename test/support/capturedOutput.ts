import { vi } from 'vitest'

/** One JSON line written to stdout or stderr, parsed. */
export type OutputLine = Record<string, unknown> & { stream: 'stdout' | 'stderr' }

/**
 * Captures what is written to stdout and stderr (Powertools writes there through its own
 * `Console`, not the global `console`) until `restore()`, keeping the JSON lines.
 */
export function captureOutput() {
  const lines: OutputLine[] = []
  const spy = (stream: 'stdout' | 'stderr') =>
    vi.spyOn(process[stream], 'write').mockImplementation(((chunk: string | Uint8Array) => {
      for (const text of String(chunk).split('\n')) {
        if (!text.trim()) continue
        try {
          lines.push({ ...(JSON.parse(text) as Record<string, unknown>), stream })
        } catch {
          // Not a JSON line (a test reporter's output): not ours to check.
        }
      }
      return true
    }) as typeof process.stdout.write)
  const spies = [spy('stdout'), spy('stderr')]
  return {
    lines,
    /** Log lines (Powertools' `message` names the event). */
    logs: () => lines.filter((line) => typeof line.message === 'string'),
    /** CloudWatch EMF records. */
    metrics: () => lines.filter((line) => line._aws !== undefined),
    restore: () => {
      for (const s of spies) s.mockRestore()
    },
  }
}
