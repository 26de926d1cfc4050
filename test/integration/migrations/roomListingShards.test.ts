import { describe, expect, it } from 'vitest'
import { migration as roomListingShards } from '../../../migrations/003_room-listing-shards.js'
import { roomListingPartition, roomListingShard } from '../../../src/keys.js'
import { isMigrationError } from '../../../src/migrator/errors.js'
import { createMigrator, type MigratorOptions } from '../../../src/migrator/migrator.js'
import { createTestTable, useTestTable } from '../../support/dynamo.js'
import { InjectedCrash, isInjectedCrash } from '../../support/injectedCrash.js'
import { scanAll } from '../../support/scan.js'

const SHARDS = 4
const NOW = Date.UTC(2026, 10, 26)

describe('migration 003_room-listing-shards', () => {
  const t = useTestTable()

  /** A table written with one listing shard: `active` rooms with a subscriber, `emptied` without. */
  async function tableWith({ active, emptied }: { active: number; emptied: number }) {
    const tableName = await createTestTable(t.documentClient, 'shards')
    let clock = NOW
    const repo = t.repository({ tableName, now: () => ++clock })
    for (let i = 0; i < active + emptied; i++) {
      const roomName = `room-${String(i).padStart(3, '0')}`
      await repo.subscribe({ roomName, connectionId: `c-${i}`, userName: 'ada' })
      if (i >= active) await repo.unsubscribe({ roomName, connectionId: `c-${i}` })
    }
    return tableName
  }

  const migrator = (tableName: string, options: Partial<MigratorOptions> = {}) =>
    createMigrator({
      documentClient: t.documentClient,
      tableName,
      migrations: [roomListingShards],
      now: () => NOW,
      segments: 1,
      env: { CHATDB_ROOM_LISTING_SHARDS: String(SHARDS) },
      batchWrite: { baseDelayMs: 1 },
      ...options,
    })

  async function listingRecords(tableName: string) {
    return (await scanAll(t.documentClient, tableName)).filter((item) => item._et === 'Room')
  }

  /** Every record is in the shard `shards` gives its name, once, with its state and version kept. */
  async function expectPlaced(tableName: string, shards: number, before: Record<string, unknown>[]) {
    const after = await listingRecords(tableName)
    expect(after).toHaveLength(before.length)
    for (const record of after)
      expect(record.pk).toBe(roomListingPartition(roomListingShard(record.data as string, shards)))
    const strip = (r: Record<string, unknown>) => ({
      sk: r.sk,
      data: r.data,
      active: r.active,
      version: r.version,
    })
    const bySk = (a: { sk: unknown }, b: { sk: unknown }) => String(a.sk).localeCompare(String(b.sk))
    expect(after.map(strip).sort(bySk)).toEqual(before.map(strip).sort(bySk))
  }

  it('moves every listing record to its shard, and down moves them all back to Room', async () => {
    const tableName = await tableWith({ active: 12, emptied: 8 })
    const before = await listingRecords(tableName)
    expect(new Set(before.map((r) => r.pk))).toEqual(new Set(['Room']))

    const [up] = (await migrator(tableName).up()).results
    await expectPlaced(tableName, SHARDS, before)
    const misplacedBefore = before.filter((r) => roomListingShard(r.data as string, SHARDS) !== 0).length
    expect(misplacedBefore).toBeGreaterThan(0)
    expect(up?.notices).toContain(
      `20 room listing record(s) looked at: ${misplacedBefore} moved to 4 listing shards`,
    )

    // The sharded repository lists exactly the active rooms, in creation order.
    const sharded = t.repository({ tableName, roomListingShards: SHARDS })
    const names = (await sharded.activeRooms()).map((r) => r.roomName)
    expect(names).toEqual(Array.from({ length: 12 }, (_, i) => `room-${String(i).padStart(3, '0')}`))

    await migrator(tableName).down()
    await expectPlaced(tableName, 1, before)
  })

  it('a dry run counts the records it would move and writes nothing', async () => {
    const tableName = await tableWith({ active: 6, emptied: 2 })
    const before = await scanAll(t.documentClient, tableName)
    const wouldMove = before.filter(
      (r) => r._et === 'Room' && roomListingShard(r.data as string, SHARDS) !== 0,
    ).length
    t.counter.reset()
    const [result] = (await migrator(tableName).up({ dryRun: true })).results
    expect(result?.notices).toContain(
      `8 room listing record(s) looked at: ${wouldMove} would be moved to 4 listing shards`,
    )
    expect(t.counter.writes()).toBe(0)
    expect(await scanAll(t.documentClient, tableName)).toEqual(before)
  })

  it('keeps a newer record a live writer put in the right shard, and drops the stale misplaced one', async () => {
    const tableName = await tableWith({ active: 10, emptied: 0 })
    const roomName = ['room-000', 'room-001', 'room-002', 'room-003', 'room-004'].find(
      (name) => roomListingShard(name, SHARDS) !== 0,
    ) as string
    // A process already configured with 4 shards empties the room: its newer record lands in
    // the right shard, the old active one stays misplaced in Room.
    const live = t.repository({ tableName, roomListingShards: SHARDS })
    await live.unsubscribe({ roomName, connectionId: `c-${Number(roomName.slice(5))}` })
    await migrator(tableName).up()
    const records = (await listingRecords(tableName)).filter((r) => r.data === roomName)
    expect(records).toMatchObject([
      { pk: roomListingPartition(roomListingShard(roomName, SHARDS)), active: false, version: 2 },
    ])
    expect((await live.activeRooms()).map((r) => r.roomName)).not.toContain(roomName)
  })

  it('resumes after a crash and ends as an uninterrupted run does', async () => {
    const tableName = await tableWith({ active: 25, emptied: 5 })
    const before = await listingRecords(tableName)
    // Crashes at the first checkpoint after some records moved (the Scan meets the Room
    // partition somewhere among the guards and subscriptions).
    const crashing = migrator(tableName, {
      pageSize: 5,
      hooks: {
        afterCheckpoint: async () => {
          if ((await listingRecords(tableName)).some((r) => r.pk !== 'Room')) throw new InjectedCrash()
        },
      },
    })
    const crash = await crashing.up().catch((e: unknown) => e)
    expect(isMigrationError(crash, 'migration.failed')).toBe(true)
    expect(isInjectedCrash(crash)).toBe(true)
    // Some records were moved before the crash, not all.
    const halfway = await listingRecords(tableName)
    expect(halfway.some((r) => r.pk !== 'Room')).toBe(true)
    expect(halfway.some((r) => r.pk === 'Room' && roomListingShard(r.data as string, SHARDS) !== 0)).toBe(
      true,
    )

    const [resumed] = (await migrator(tableName, { pageSize: 5 }).up()).results
    expect(resumed?.resumed).toBe(true)
    await expectPlaced(tableName, SHARDS, before)
  })

  it('refuses a shard count that is not a whole number from 1 to 64', async () => {
    const tableName = await tableWith({ active: 1, emptied: 0 })
    const error = await migrator(tableName, { env: { CHATDB_ROOM_LISTING_SHARDS: '0' } })
      .up()
      .catch((e: unknown) => e)
    expect(isMigrationError(error, 'migration.invalidOption')).toBe(true)
    expect((await listingRecords(tableName)).map((r) => r.pk)).toEqual(['Room'])
  })
})
