import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { migration as messageRetention } from '../../../migrations/002_message-retention.js'
import { isMigrationError } from '../../../src/migrator/errors.js'
import { createMigrator, type MigratorOptions } from '../../../src/migrator/migrator.js'
import type { ProgressEvent } from '../../../src/migrator/types.js'
import { createChatRepository } from '../../../src/repository/chatRepository.js'
import { countRequests } from '../../../src/util/requestCounter.js'
import { createTestTable, newDocumentClient, useTestTable } from '../../support/dynamo.js'
import { injectDynamoFaults, injectUnprocessedItems } from '../../support/faults.js'
import { scanAll } from '../../support/scan.js'

// Far ahead of the real clock (as messageRetention's and legacySeedLayout's): the expiresAt 002
// writes (NOW + 90 days) stays in the real future, so DynamoDB Local's TTL sweeper never deletes
// messages while a test counts them.
const NOW = Date.parse('2100-06-01T00:00:00.000Z')

/**
 * A fake clock for the migrator: `sleep` moves time to the sleeper's wake-up (concurrent
 * sleepers overlap, as real timers do) and returns at once, so rates are measured in fake time.
 */
function fakeClock() {
  let now = NOW
  const sleeps: number[] = []
  return {
    now: () => now,
    sleep: (ms: number) => {
      const wake = now + ms
      sleeps.push(ms)
      return Promise.resolve().then(() => {
        now = Math.max(now, wake)
      })
    },
    sleeps,
  }
}

describe('migrator write rate', () => {
  const t = useTestTable()

  /** A table holding `count` messages of ~`size` characters without an expiresAt (002 rewrites each). */
  async function tableWithMessages(count: number, size = 10) {
    const tableName = await createTestTable(t.documentClient, 'rate')
    const repo = createChatRepository({ documentClient: t.documentClient, tableName, now: () => NOW - 1000 })
    await repo.subscribe({ roomName: 'general', connectionId: 'AAAAAAAAAAAAAAA=', userName: 'ada' })
    for (let i = 0; i < count; i += 25) {
      await Promise.all(
        Array.from({ length: Math.min(25, count - i) }, (_, j) =>
          repo.postMessage({
            roomName: 'general',
            connectionId: 'AAAAAAAAAAAAAAA=',
            message: `${i + j} `.padEnd(size, 'x'),
            id: `m-${i + j}`,
          }),
        ),
      )
    }
    return tableName
  }

  const migrator = (options: Partial<MigratorOptions> & Pick<MigratorOptions, 'tableName'>) =>
    createMigrator({
      documentClient: t.documentClient,
      migrations: [messageRetention],
      segments: 2,
      pageSize: 50,
      leaseMs: 3_600_000,
      batchWrite: { baseDelayMs: 1 },
      ...options,
    })

  it('holds the writes to --max-wcu: WCU consumed ≤ maxWcu × (elapsed + 1 s of burst), measured in fake time', async () => {
    const tableName = await tableWithMessages(200, 1_500)
    const clock = fakeClock()
    const progress: ProgressEvent[] = []
    const start = clock.now()
    const report = await migrator({
      tableName,
      maxWcu: 40,
      now: clock.now,
      sleep: clock.sleep,
      reporter: { progress: (event) => progress.push(event) },
    }).up()
    const [result] = report.results
    const elapsedSeconds = (clock.now() - start) / 1000
    const rate = result?.writeRate
    // 200 puts of ~1.6 KB items: 2 WCU on the table and 2 on the GSI each (dynalite reports the
    // table's, the index's are computed).
    expect(rate?.consumedWcu).toBe(800)
    expect(rate?.maxWcu).toBe(40)
    // (800 − 40 of burst) / 40 = 19 s at the least; the limiter asked for all of it.
    expect(elapsedSeconds).toBeGreaterThanOrEqual(19)
    expect(rate?.consumedWcu ?? Infinity).toBeLessThanOrEqual(40 * (elapsedSeconds + 1))
    expect(rate?.limiterWaitMs ?? 0).toBeGreaterThanOrEqual(19_000)
    expect(clock.sleeps.length).toBeGreaterThan(0)
    expect(rate?.throttled).toBe(0)
    // Progress events carry the running figures.
    expect(progress.at(-1)?.writeRate.consumedWcu).toBe(800)
    const given = (await scanAll(t.documentClient, tableName)).filter(
      (i) => i._et === 'Message' && i.expiresAt,
    )
    expect(given).toHaveLength(200)
  })

  it('without a limit never waits, and still counts the WCU', async () => {
    const tableName = await tableWithMessages(60)
    const clock = fakeClock()
    const [result] = (await migrator({ tableName, now: clock.now, sleep: clock.sleep }).up()).results
    expect(clock.sleeps).toEqual([])
    expect(result?.writeRate).toEqual({
      maxWcu: undefined,
      consumedWcu: 120,
      limiterWaitMs: 0,
      throttled: 0,
      backoffMs: 0,
    })
  })

  it('backs off from throttling that outlives the SDK retries, retries the chunk and finishes', async () => {
    const tableName = await tableWithMessages(150)
    // One attempt per request: every injected throttle reaches the migrator.
    const documentClient = newDocumentClient({ maxAttempts: 1 })
    const counter = countRequests(documentClient)
    const faults = injectDynamoFaults(documentClient, {
      rate: 0.5,
      faults: ['throughput', 'throttling'],
      operations: ['BatchWriteItem'],
      seed: 3,
    })
    const clock = fakeClock()
    const progress: ProgressEvent[] = []
    const [result] = (
      await migrator({
        tableName,
        documentClient,
        now: clock.now,
        sleep: clock.sleep,
        throttleBackoff: { baseDelayMs: 100, maxDelayMs: 1_000 },
        reporter: { progress: (event) => progress.push(event) },
      }).up()
    ).results
    faults.stop()
    const injected = faults.total()
    // Deterministic for the seed: some chunks are throttled more than once in a row.
    expect(injected).toBeGreaterThan(2)
    expect(result?.outcome).toBe('applied')
    expect(result?.writeRate.throttled).toBe(injected)
    // Each backoff is 50–100 % of a ceiling that starts at 100 ms: at least 50 ms apiece.
    expect(result?.writeRate.backoffMs ?? 0).toBeGreaterThanOrEqual(50 * injected)
    expect(clock.sleeps.length).toBe(injected)
    // A refused request consumed nothing: the WCU are those of the 150 puts, once each.
    expect(result?.writeRate.consumedWcu).toBe(300)
    expect(counter.counts().BatchWriteItem).toBe(Math.ceil(150 / 25) + injected)
    expect(progress.some((event) => event.writeRate.throttled > 0)).toBe(true)
    const given = (await scanAll(t.documentClient, tableName)).filter(
      (i) => i._et === 'Message' && i.expiresAt,
    )
    expect(given).toHaveLength(150)
    documentClient.destroy()
  })

  it('backs off when UnprocessedItems outlast batchWrite’s retries, and finishes', async () => {
    const tableName = await tableWithMessages(75)
    const documentClient = newDocumentClient()
    // The first 4 BatchWriteItem calls process nothing: with 2 attempts per batch, the first
    // chunk gives up twice (store.unprocessedItems) before its third try lands.
    const unprocessed = injectUnprocessedItems(documentClient, (count, call) => (call < 4 ? count : 0))
    const clock = fakeClock()
    const [result] = (
      await migrator({
        tableName,
        documentClient,
        segments: 1,
        pageSize: 100,
        now: clock.now,
        sleep: clock.sleep,
        batchWrite: { baseDelayMs: 1, maxAttempts: 2, concurrency: 1 },
      }).up()
    ).results
    expect(unprocessed.injected()).toBeGreaterThan(0)
    expect(result?.writeRate.throttled).toBe(2)
    expect(result?.writeRate.consumedWcu).toBe(150)
    const given = (await scanAll(t.documentClient, tableName)).filter(
      (i) => i._et === 'Message' && i.expiresAt,
    )
    expect(given).toHaveLength(75)
    documentClient.destroy()
  })

  it('waits 500 ms doubling per throttle of a chunk, equally jittered, and counts it for the progress line', async () => {
    const tableName = await tableWithMessages(25)
    const documentClient = newDocumentClient()
    // One chunk, 1 attempt per batch: the first 3 BatchWriteItem calls leave everything
    // unprocessed (store.unprocessedItems 3 times in a row), the fourth lands.
    injectUnprocessedItems(documentClient, (count, call) => (call < 3 ? count : 0))
    vi.spyOn(Math, 'random').mockReturnValue(0.5)
    onTestFinished(() => {
      vi.restoreAllMocks()
    })
    const clock = fakeClock()
    const progress: ProgressEvent[] = []
    const [result] = (
      await migrator({
        tableName,
        documentClient,
        segments: 1,
        now: clock.now,
        sleep: clock.sleep,
        batchWrite: { maxAttempts: 1 },
        reporter: { progress: (event) => progress.push(event) },
      }).up()
    ).results
    // Half the ceiling plus a random half of it, the ceiling 500 ms, then 1 s, then 2 s.
    expect(clock.sleeps).toStrictEqual([375, 750, 1_500])
    expect(result?.writeRate).toMatchObject({ throttled: 3, backoffMs: 2_625 })
    expect(progress.at(-1)?.writeRate).toMatchObject({ throttled: 3, backoffMs: 2_625 })
    documentClient.destroy()
  })

  it('still fails at once on an error that is not throttling', async () => {
    const tableName = await tableWithMessages(30)
    const documentClient = newDocumentClient({ maxAttempts: 1 })
    const faults = injectDynamoFaults(documentClient, {
      rate: 1,
      faults: ['internal'],
      operations: ['BatchWriteItem'],
    })
    const clock = fakeClock()
    const error = await migrator({ tableName, documentClient, now: clock.now, sleep: clock.sleep })
      .up()
      .catch((e: unknown) => e)
    faults.stop()
    expect(isMigrationError(error, 'migration.failed')).toBe(true)
    expect(clock.sleeps).toEqual([])
    documentClient.destroy()
  })

  it('refuses a maxWcu that is not a positive number', () => {
    for (const maxWcu of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const error = (() => {
        try {
          migrator({ tableName: t.tableName, maxWcu })
        } catch (e) {
          return e
        }
      })()
      expect(isMigrationError(error, 'migration.invalidOption')).toBe(true)
    }
  })
})
