import { ScanCommand } from 'dynamodb-toolbox/table/actions/scan'
import type { WriteRequest } from '../repository/batchWrite.js'
import { type Page, type PageKey, pages } from '../repository/pager.js'
import type { ChatTable } from '../table.js'
import { mapWithConcurrency } from '../util/concurrency.js'
import type { RunProgress } from './runProgress.js'
import type { PhaseResult, ScannedItem, ScanRewriteSpec, SegmentCheckpoint } from './types.js'

export interface ScanRewriteDeps {
  table: ChatTable
  write: (requests: { puts: WriteRequest[]; deletes: WriteRequest[] }) => Promise<void>
  progress: RunProgress
  dryRun: boolean
  /** Parallel scan segments for a phase that starts fresh (a resumed phase keeps its own). */
  segments: number
  /** Items per Scan page (and so per checkpoint). */
  pageSize: number
  /** Called before every page: throws when the run must stop (lock lost). */
  beforePage: () => void
  /** Called after every saved checkpoint: may throw to stop the run (crash injection). */
  afterCheckpoint: (event: { phase: string; segment: number }) => Promise<void>
  onPage: (phase: string) => void
}

/**
 * Scans the whole table in `segments` parallel segments and rewrites what `spec.transform`
 * asks for, page by page: the page's puts land first (BatchWriteItem, 25 at a time,
 * UnprocessedItems retried), then its deletes, then its checkpoint (the segment's
 * LastEvaluatedKey) is saved. A run killed anywhere resumes from the last saved checkpoint
 * and transforms at most the pages after it again, which idempotent transforms make harmless:
 * nothing is lost (puts precede deletes) and nothing is duplicated (same keys, same items).
 */
export async function scanRewrite(deps: ScanRewriteDeps, spec: ScanRewriteSpec): Promise<PhaseResult> {
  const { table, progress, dryRun, pageSize } = deps
  const checkpoint = progress.phase(spec.phase)
  if (checkpoint.done) return { scanned: checkpoint.scanned, changed: checkpoint.changed, skipped: true }
  checkpoint.segments ??= Array.from({ length: Math.max(1, deps.segments) }, () => ({
    lastKey: null,
    done: false,
  }))
  const segments = checkpoint.segments
  const totalSegments = segments.length

  const readPage = (segment: number) => (exclusiveStartKey: PageKey | undefined) => {
    deps.beforePage()
    const options = { limit: pageSize, consistent: true, exclusiveStartKey }
    const command = table.build(ScanCommand)
    return (
      totalSegments > 1 ? command.options({ ...options, segment, totalSegments }) : command.options(options)
    ).send()
  }

  const rewritePage = async (segment: number, cursor: SegmentCheckpoint, page: Page<unknown>) => {
    const items = page.items as ScannedItem[]
    const puts = new Map<string, WriteRequest>()
    const deletes = new Map<string, WriteRequest>()
    let changed = 0
    for (const item of items) {
      const rewrite = await spec.transform(item)
      if (!rewrite || ((rewrite.puts?.length ?? 0) === 0 && (rewrite.deletes?.length ?? 0) === 0)) continue
      changed++
      for (const put of rewrite.puts ?? []) puts.set(keyOf(put), put)
      for (const del of rewrite.deletes ?? []) deletes.set(keyOf(del), del)
    }
    // A key both put and deleted in one page keeps the put: deleting it after would lose it.
    for (const key of puts.keys()) deletes.delete(key)
    await deps.write({ puts: [...puts.values()], deletes: [...deletes.values()] })
    changed += (await spec.afterPage?.({ items, dryRun })) ?? 0
    progress.record(spec.phase, items.length, changed)
    cursor.lastKey = (page.lastKey as ScannedItem | undefined) ?? null
    cursor.done = page.lastKey === undefined
    await progress.save()
    deps.onPage(spec.phase)
    await deps.afterCheckpoint({ phase: spec.phase, segment })
  }

  // A failing segment stops the others at their next page, so the run ends promptly and its
  // in-memory checkpoints (what landed) are what the ledger keeps.
  let failed = false
  await mapWithConcurrency(
    segments.map((_, index) => index),
    totalSegments,
    async (segment) => {
      const cursor = segments[segment]
      try {
        if (!cursor || cursor.done || failed) return
        for await (const page of pages(readPage(segment), { startKey: cursor.lastKey ?? undefined })) {
          await rewritePage(segment, cursor, page)
          if (failed) break
        }
      } catch (error) {
        failed = true
        throw error
      }
    },
  )
  checkpoint.done = true
  await progress.save()
  return { scanned: checkpoint.scanned, changed: checkpoint.changed, skipped: false }
}

/** `pk` + `sk` of a put or delete request, for de-duplicating a page's writes. */
export function keyOf(request: WriteRequest): string {
  const key = (request.PutRequest?.Item ?? request.DeleteRequest?.Key ?? {}) as ScannedItem
  return JSON.stringify([key.pk, key.sk])
}
