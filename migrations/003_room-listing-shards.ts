import { fromEnvironment } from '../src/config/fromEnvironment.js'
import { checkOption } from '../src/config/settings.js'
import { createEntities } from '../src/entities/index.js'
import { isChatDbError } from '../src/errors.js'
import { DEFAULT_ROOM_LISTING_SHARDS, roomListingShard, roomListingShardOf } from '../src/keys.js'
import { MigrationError } from '../src/migrator/errors.js'
import type { Migration, MigrationContext, ScannedItem } from '../src/migrator/types.js'
import { createRoomUpkeep } from '../src/repository/roomUpkeep.js'
import { createTableStore } from '../src/repository/tableStore.js'

/**
 * The listing shard count to move to: migration option `roomListingShards`, else the
 * environment's `CHATDB_ROOM_LISTING_SHARDS` (the deployment's own setting), else 1.
 */
export function targetShards(ctx: Pick<MigrationContext, 'options' | 'env'>): number {
  try {
    if (ctx.options.roomListingShards !== undefined)
      return checkOption('roomListingShards', ctx.options.roomListingShards)
    return fromEnvironment(ctx.env, ['roomListingShards']).roomListingShards ?? DEFAULT_ROOM_LISTING_SHARDS
  } catch (error) {
    if (!isChatDbError(error)) throw error
    throw new MigrationError('migration.invalidOption', error.message, { cause: error })
  }
}

/**
 * Moves every room listing record into the listing shard `shards` gives its name
 * (keys.ts `roomListingShard`): `up` to the configured count, `down` back to the single `Room`
 * partition. One Scan, checkpointed per page like every scan phase, so an interrupted run
 * resumes; `--dry-run` counts the records it would move.
 *
 * Each misplaced record is written where it belongs by the room upkeep's own `apply`, with its
 * version, as a transition of that version would write it: a record of the room already there
 * with a newer version wins (a live writer got there first), an older one is replaced, and a
 * stale write undoes itself (roomUpkeep.ts tells the race). Then the misplaced copy is deleted,
 * on condition that it is unchanged. While it runs, rooms not yet moved are missing from a
 * listing read with the new count (docs/migrations.md).
 */
async function relocate(ctx: MigrationContext, shards: number): Promise<void> {
  const entities = createEntities(ctx.table, { roomListingShards: shards })
  const upkeep = createRoomUpkeep({
    entities,
    now: ctx.now,
    readSnapshot: (roomName) => ctx.repository.roomSnapshot(roomName),
  })
  const store = createTableStore({
    documentClient: ctx.documentClient,
    tableName: ctx.tableName,
    roomListingShards: shards,
  })
  let records = 0
  let moved = 0
  const misplaced = (item: ScannedItem) => {
    if (item._et !== 'Room' || typeof item.data !== 'string' || typeof item.pk !== 'string') return undefined
    const shard = roomListingShardOf(item.pk)
    if (shard === undefined) return undefined
    records++
    if (shard === roomListingShard(item.data, shards)) return undefined
    return {
      roomName: item.data,
      shard,
      active: item.active === true,
      createdAt: Number(item.createdAt),
      version: Number(item.version ?? 0),
    }
  }
  const phase = await ctx.scanRewrite({
    phase: 'room-listings',
    // Nothing for the batch rewrite: each move is two conditional writes, done after the page.
    transform: () => undefined,
    async afterPage({ items, dryRun }) {
      let changed = 0
      for (const item of items) {
        const record = misplaced(item)
        if (!record) continue
        changed++
        if (dryRun) continue
        const { roomName, createdAt, active, version } = record
        await upkeep.apply({ roomName, createdAt, listed: active, version })
        await store.deleteRoomListing(roomName, record)
        moved++
      }
      return changed
    },
  })
  const where = shards === 1 ? 'the Room partition' : `${shards} listing shards`
  if (phase.skipped) {
    ctx.notice(`room listings done by an earlier attempt: ${phase.changed} record(s) moved to ${where}`)
    return
  }
  const verb = ctx.dryRun ? 'would be moved' : 'moved'
  const count = ctx.dryRun ? phase.changed : moved
  ctx.notice(`${records} room listing record(s) looked at: ${count} ${verb} to ${where}`)
}

export const migration: Migration = {
  version: 3,
  name: 'room-listing-shards',
  description:
    'move room listing records to the shards CHATDB_ROOM_LISTING_SHARDS gives (down: back to the Room partition)',
  checksum: 'room-listing-shards/1',

  async up(ctx) {
    await relocate(ctx, targetShards(ctx))
  },

  async down(ctx) {
    await relocate(ctx, DEFAULT_ROOM_LISTING_SHARDS)
  },
}

export default migration
