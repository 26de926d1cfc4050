import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { beforeAll, describe, expect, it } from 'vitest'
import { migrations } from '../../../migrations/index.js'
import { MIGRATION_PARTITION } from '../../../src/migrator/dynamoLedger.js'
import { isMigrationError } from '../../../src/migrator/errors.js'
import { createMigrator, type MigratorOptions } from '../../../src/migrator/migrator.js'
import { writeInBatches } from '../../../src/repository/batchWrite.js'
import { useTestTable } from '../../support/dynamo.js'
import { InjectedCrash, isInjectedCrash } from '../../support/injectedCrash.js'
import { atScale } from '../../support/scale.js'
import { scanAll } from '../../support/scan.js'

const ROOMS = 20
// 20 rooms + 40 subscriptions + 19,940 messages = 20,000 items under `npm run test:scale`;
// 20 + 40 + 3,940 = 4,000 in `npm test`, in pages a fifth the size, so the crash lands after the
// same share of the scan (10 checkpoints of 40 pages) either way.
const MESSAGES_PER_ROOM = atScale(997, 197)
const ITEMS = atScale(20_000, 4_000)
const PAGE_SIZE = atScale(500, 100)
const CLOCK = 1_764_000_000_000
const legacySeedLayout = migrations.slice(0, 1)

/** A legacy (seed-layout) table: 20 rooms, 2 subscriptions each, MESSAGES_PER_ROOM messages each. */
function legacyItems() {
  const items: Record<string, unknown>[] = []
  for (let r = 0; r < ROOMS; r++) {
    const room = `room-${r}`
    items.push({ pk: 'Room', sk: `true|${1_700_000_000_000 + r}`, data: room })
    for (const user of ['ada', 'bob']) {
      items.push({
        pk: `Subscription|${room}`,
        sk: `${room}|conn-${user}-${r}`,
        data: `conn-${user}-${r}`,
        userName: user,
      })
    }
    for (let m = 0; m < MESSAGES_PER_ROOM; m++) {
      const time = 1_700_000_000_000 + m * 1_000
      items.push({
        pk: `Message|${room}`,
        sk: `${room}|${time}|id-${m}`,
        data: `conn-${m % 2 ? 'ada' : 'bob'}-${r}`,
        userName: m % 2 ? 'ada' : 'bob',
        message: `message ${m} in ${room}`,
      })
    }
  }
  return items
}

async function chatItems(documentClient: DynamoDBDocumentClient, tableName: string) {
  return (await scanAll(documentClient, tableName)).filter((item) => item.pk !== MIGRATION_PARTITION)
}

// Bound by dynalite's write throughput: generous timeouts for a loaded CI machine.
describe(`a migration over ${ITEMS.toLocaleString('en')} items killed halfway`, () => {
  const interrupted = useTestTable()
  const uninterrupted = useTestTable()
  const items = legacyItems()
  const options = {
    segments: 4,
    pageSize: PAGE_SIZE,
    now: () => CLOCK,
    batchWrite: { concurrency: 8, baseDelayMs: 1 },
  }

  beforeAll(async () => {
    const requests = items.map((Item) => ({ PutRequest: { Item } }))
    await Promise.all(
      [interrupted, uninterrupted].map((t) =>
        writeInBatches(t.documentClient, t.tableName, requests, { concurrency: 8 }),
      ),
    )
  }, 300_000)

  it('resumes from its checkpoints and ends in the same state as an uninterrupted run', async () => {
    expect(items).toHaveLength(ITEMS)
    const crashAfter = 10
    const migratorOn = (t: typeof interrupted, hooks?: MigratorOptions['hooks']) =>
      createMigrator({
        ...options,
        documentClient: t.documentClient,
        tableName: t.tableName,
        migrations: legacySeedLayout,
        hooks,
      })

    // The interrupted table and the uninterrupted one migrate at the same time (the test is
    // bound by dynalite's throughput, not by either client).
    const interruptedRun = async () => {
      const crashing = migratorOn(interrupted, {
        afterCheckpoint: ({ count }) => {
          if (count === crashAfter) throw new InjectedCrash()
        },
      })
      const crash = await crashing.up().catch((error: unknown) => error)
      expect(isMigrationError(crash, 'migration.failed')).toBe(true)
      expect(isInjectedCrash(crash)).toBe(true)

      const status = await crashing.status()
      const [entry] = status.migrations
      expect(entry).toMatchObject({ state: 'failed', resumable: true })
      const checkpoint = entry?.ledger?.checkpoints.items
      expect(checkpoint?.segments).toHaveLength(4)
      expect(checkpoint?.done).toBe(false)
      // Some pages landed before the crash, far from all of them.
      expect(entry?.ledger?.itemsScanned).toBeGreaterThan(0)
      expect(entry?.ledger?.itemsScanned).toBeLessThan(items.length / 2)
      expect(entry?.ledger?.error).toMatch(
        /001_legacy-seed-layout failed \(up\): InjectedCrash: crash injected/,
      )
      // The lock went with the failed run.
      expect(status.lock).toBeUndefined()

      interrupted.counter.reset()
      const resumed = await migratorOn(interrupted).up()
      expect(resumed.results[0]).toMatchObject({ outcome: 'applied', resumed: true })
      return interrupted.counter.counts().Scan ?? 0
    }
    const uninterruptedRun = async () => {
      uninterrupted.counter.reset()
      const whole = await migratorOn(uninterrupted).up()
      expect(whole.results[0]).toMatchObject({ outcome: 'applied', resumed: false })
      return uninterrupted.counter.counts().Scan ?? 0
    }
    const [resumedScans, wholeScans] = await Promise.all([interruptedRun(), uninterruptedRun()])
    // The resumed run did not start over: it scanned fewer pages than a whole run.
    expect(resumedScans).toBeLessThan(wholeScans)

    const [a, b] = await Promise.all([
      chatItems(interrupted.documentClient, interrupted.tableName),
      chatItems(uninterrupted.documentClient, uninterrupted.tableName),
    ])
    expect(a.length).toBe(items.length + ROOMS) // + one RoomState guard per room
    expect(a.filter((item) => item._et === 'Message')).toHaveLength(ROOMS * MESSAGES_PER_ROOM)
    expect(a.filter((item) => item._et === undefined)).toEqual([])
    expect(a).toEqual(b)
    const ledger = (await scanAll(interrupted.documentClient, interrupted.tableName)).filter(
      (item) => item.pk === MIGRATION_PARTITION,
    )
    expect(ledger).toEqual([expect.objectContaining({ status: 'applied', checkpoints: {} })])
  }, 300_000)
})
