import { BatchDeleteRequest } from 'dynamodb-toolbox/entity/actions/batchDelete'
import { BatchPutRequest } from 'dynamodb-toolbox/entity/actions/batchPut'
import { GetItemCommand } from 'dynamodb-toolbox/entity/actions/get'
import { isChatDbError } from '../src/errors.js'
import {
  DELIMITER,
  ROOM_PARTITION,
  ROOM_STATE_SORT_KEY,
  subscriptionPartition,
  userNameOfHistoryKey,
} from '../src/keys.js'
import { MigrationError } from '../src/migrator/errors.js'
import { deleteRequestFor, queryPartition, replaceItem } from '../src/migrator/rawItems.js'
import type { Migration, MigrationContext, ScannedItem } from '../src/migrator/types.js'
import type { WriteRequest } from '../src/repository/batchWrite.js'
import { mapWithConcurrency } from '../src/util/concurrency.js'

const SUBSCRIPTION_PREFIX = `Subscription${DELIMITER}`
const MESSAGE_PREFIX = `Message${DELIMITER}`
const LEGACY_ROOM_SORT_KEY = /^(true|false)\|(\d{1,15})$/
const LEGACY_MESSAGE_TIME = /^\d{1,15}$/

/**
 * Upgrades a table written in the seed's literal layout to chatdb's:
 *
 * | item         | seed (literal)                                   | chatdb                                                     |
 * |--------------|--------------------------------------------------|------------------------------------------------------------|
 * | room         | `Room` / `true|<ms>`, data = room                | `Room` / `<listed>|<ISO>|<room>` + a `#room` guard         |
 * | subscription | `Subscription|<r>` / `<r>|<conn>`, data, userName | same key; + roomName, subscribedAt, `_et`                 |
 * | message      | `Message|<r>` / `<r>|<ms>|<id>`, data = conn      | `<r>|<ISO>|<id>`, data = userName, connectionId = old data |
 *
 * A room is listed iff it has subscriptions, whatever the legacy `true|`/`false|` said (the
 * seed's writers could leave it stale); several legacy records of one name become one, with
 * the earliest creation time; subscriptions whose room has no record get one (created now).
 * Legacy subscriptions carry no time: they get the migration's start time as `subscribedAt`.
 * Items that do not parse as the seed's layout are left in place and reported.
 * `down` restores the literal layout (subscribedAt is dropped; rooms created in the same
 * millisecond cannot both be restored, and then `down` refuses before writing anything).
 */
export const migration: Migration = {
  version: 1,
  name: 'legacy-seed-layout',
  description: "upgrade a table in the seed's literal layout (epoch-ms keys, message data = connection id)",
  checksum: 'legacy-seed-layout/1',

  async up(ctx) {
    const unrecognized = createUnrecognized(ctx)
    // Rooms the `rooms` step gave a guard (or, in a dry run, would have).
    const guarded = new Set<string>()
    await ctx.step('rooms', () => upgradeRooms(ctx, unrecognized, guarded))
    await ctx.scanRewrite({
      phase: 'items',
      transform: (item) => upgradeItem(ctx, item, unrecognized),
      afterPage: ({ items, dryRun }) => settleRoomsOfLegacySubscriptions(ctx, items, dryRun, guarded),
    })
    unrecognized.report()
  },

  async down(ctx) {
    await ctx.step('rooms', () => downgradeRooms(ctx))
    await ctx.scanRewrite({ phase: 'items', transform: (item) => downgradeItem(item) })
  },
}

export default migration

type Unrecognized = ReturnType<typeof createUnrecognized>

function createUnrecognized(ctx: MigrationContext) {
  const examples: string[] = []
  let count = 0
  return {
    add(item: ScannedItem, why: string) {
      count++
      if (examples.length < 5) examples.push(`${String(item.pk)} / ${String(item.sk)} (${why})`)
    },
    report() {
      if (count > 0) {
        ctx.notice(`left ${count} item(s) not in the seed's layout untouched, e.g. ${examples.join('; ')}`)
      }
    },
  }
}

/** `<room>|<epoch ms>|<id>` → time and id, or undefined when it is not that. */
export function parseLegacyMessageSortKey(
  roomName: string,
  sk: string,
): { time: number; id: string } | undefined {
  const prefix = `${roomName}${DELIMITER}`
  if (!sk.startsWith(prefix)) return undefined
  const rest = sk.slice(prefix.length)
  const at = rest.indexOf(DELIMITER)
  const time = rest.slice(0, at)
  const id = rest.slice(at + 1)
  if (at < 0 || !LEGACY_MESSAGE_TIME.test(time) || id === '') return undefined
  return { time: Number(time), id }
}

/** `true|<epoch ms>` → active and creation time, or undefined. */
export function parseLegacyRoomSortKey(sk: string): { active: boolean; createdAt: number } | undefined {
  const match = LEGACY_ROOM_SORT_KEY.exec(sk)
  if (!match) return undefined
  return { active: match[1] === 'true', createdAt: Number(match[2]) }
}

async function upgradeRooms(ctx: MigrationContext, unrecognized: Unrecognized, guarded: Set<string>) {
  const { Room, RoomState } = ctx.entities
  const roomItems = await queryPartition(ctx.table, ROOM_PARTITION)
  const groups = new Map<string, { item: ScannedItem; active: boolean; createdAt: number }[]>()
  for (const item of roomItems) {
    if (item._et !== undefined) continue
    const parsed = parseLegacyRoomSortKey(String(item.sk))
    if (!parsed || typeof item.data !== 'string') {
      unrecognized.add(item, 'room sort key is not <true|false>|<epoch ms>')
      continue
    }
    groups.set(item.data, [...(groups.get(item.data) ?? []), { item, ...parsed }])
  }
  let changed = 0
  let reconciled = 0
  await mapWithConcurrency([...groups], 8, async ([roomName, records]) => {
    // Raw reads: the room's subscriptions are still in the legacy layout (no `_et`), which
    // the repository's entity-filtered snapshot would not see.
    const [{ Item: state }, subscriptions] = await Promise.all([
      RoomState.build(GetItemCommand).key({ roomName }).options({ consistent: true }).send(),
      queryPartition(ctx.table, subscriptionPartition(roomName), {
        beginsWith: `${roomName}${DELIMITER}`,
        limit: 1,
      }),
    ])
    const listed = subscriptions.length > 0
    const createdAt = Math.min(
      ...records.map((r) => r.createdAt),
      state?.createdAt ?? Number.POSITIVE_INFINITY,
    )
    const unchanged = state && state.listed === listed && state.createdAt === createdAt
    const version = state ? (unchanged ? state.version : state.version + 1) : 1
    if (records.some((r) => r.active !== listed)) reconciled++
    const extras = Object.assign({}, ...records.map(({ item }) => withoutKeys(item, ['pk', 'sk', 'data'])))
    const listing = Room.build(BatchPutRequest)
      .item({ roomName, active: listed, createdAt, version })
      .params()
    const deletes: WriteRequest[] = [
      ...records.map(({ item }) => deleteRequestFor(item)),
      Room.build(BatchDeleteRequest).key({ roomName, active: !listed, createdAt }).params(),
    ]
    if (state && state.createdAt !== createdAt) {
      for (const active of [true, false]) {
        deletes.push(
          Room.build(BatchDeleteRequest).key({ roomName, active, createdAt: state.createdAt }).params(),
        )
      }
    }
    await ctx.write({
      puts: [
        RoomState.build(BatchPutRequest).item({ roomName, createdAt, listed, version }).params(),
        { PutRequest: { Item: { ...extras, ...listing.PutRequest?.Item } } },
      ],
      deletes,
    })
    guarded.add(roomName)
    changed += records.length
  })
  if (reconciled > 0) {
    ctx.notice(
      `${reconciled} room(s) had a legacy active flag that disagreed with their subscriptions; listed iff subscribed`,
    )
  }
  return { scanned: roomItems.length, changed }
}

async function upgradeItem(ctx: MigrationContext, item: ScannedItem, unrecognized: Unrecognized) {
  if (item._et !== undefined) return undefined
  const pk = String(item.pk)
  const sk = String(item.sk)
  const { Subscription, Message } = ctx.entities
  if (pk.startsWith(SUBSCRIPTION_PREFIX)) {
    const roomName = pk.slice(SUBSCRIPTION_PREFIX.length)
    const { data: connectionId, userName } = item
    if (typeof connectionId !== 'string' || typeof userName !== 'string' || sk === ROOM_STATE_SORT_KEY) {
      unrecognized.add(item, 'subscription without data/userName')
      return undefined
    }
    const put = Subscription.build(BatchPutRequest)
      .item({ roomName, connectionId, userName, subscribedAt: ctx.startedAt })
      .params()
    return replaceItem(item, put, ['pk', 'sk', 'data', 'userName'])
  }
  if (pk.startsWith(MESSAGE_PREFIX)) {
    const roomName = pk.slice(MESSAGE_PREFIX.length)
    const key = parseLegacyMessageSortKey(roomName, sk)
    const { data: connectionId, userName, message } = item
    if (
      !key ||
      typeof connectionId !== 'string' ||
      typeof userName !== 'string' ||
      typeof message !== 'string'
    ) {
      unrecognized.add(item, 'message key or attributes not as the seed wrote them')
      return undefined
    }
    const put = Message.build(BatchPutRequest)
      .item({ roomName, ...key, userName, connectionId, message })
      .params()
    return replaceItem(item, put, ['pk', 'sk', 'data', 'userName', 'message'])
  }
  return undefined
}

/**
 * A legacy table can hold subscriptions of a room without any room record (the seed writes
 * them separately, without a transaction). Once a page's subscriptions are upgraded, the
 * repository's own settle creates the guard and the listing for such rooms; for rooms the
 * `rooms` step already upgraded it reads one Query and changes nothing.
 */
async function settleRoomsOfLegacySubscriptions(
  ctx: MigrationContext,
  items: ScannedItem[],
  dryRun: boolean,
  guarded: ReadonlySet<string>,
) {
  const rooms = new Set<string>()
  for (const item of items) {
    const pk = String(item.pk)
    if (item._et === undefined && pk.startsWith(SUBSCRIPTION_PREFIX) && item.sk !== ROOM_STATE_SORT_KEY) {
      rooms.add(pk.slice(SUBSCRIPTION_PREFIX.length))
    }
  }
  const changes = await mapWithConcurrency([...rooms], 8, async (roomName) => {
    try {
      if (dryRun) {
        if (guarded.has(roomName)) return 0
        const { Item } = await ctx.entities.RoomState.build(GetItemCommand)
          .key({ roomName })
          .options({ consistent: true })
          .send()
        return Item ? 0 : 1
      }
      return (await ctx.repository.settleRoom(roomName)) ? 1 : 0
    } catch (error) {
      if (!isChatDbError(error) || !error.code.startsWith('validation.')) throw error
      ctx.notice(`room "${roomName}" has subscriptions but an invalid name (${error.message}); not listed`)
      return 0
    }
  })
  return changes.reduce<number>((a, b) => a + b, 0)
}

async function downgradeRooms(ctx: MigrationContext) {
  const roomItems = await queryPartition(ctx.table, ROOM_PARTITION)
  const legacy = new Map<string, { roomName: string; item: ScannedItem | undefined }[]>()
  const add = (sk: string, roomName: string, item: ScannedItem | undefined) =>
    legacy.set(sk, [...(legacy.get(sk) ?? []), { roomName, item }])
  for (const item of roomItems) {
    if (item._et === 'Room')
      add(`${String(item.active)}${DELIMITER}${Number(item.createdAt)}`, String(item.data), item)
    else if (item._et === undefined) add(String(item.sk), String(item.data), undefined)
  }
  // The seed keys a room by state and creation millisecond only: two rooms created in the same
  // millisecond would overwrite each other. Refuse before writing anything.
  const collisions = [...legacy].filter(([, rooms]) => new Set(rooms.map((r) => r.roomName)).size > 1)
  if (collisions.length > 0) {
    const list = collisions
      .map(([sk, rooms]) => `${sk}: ${rooms.map((r) => r.roomName).join(', ')}`)
      .join('; ')
    throw new MigrationError(
      'migration.irreversible',
      `rooms share a creation millisecond, which the seed's layout cannot hold: ${list}`,
    )
  }
  const puts: WriteRequest[] = []
  const deletes: WriteRequest[] = []
  for (const [sk, rooms] of legacy) {
    for (const { roomName, item } of rooms) {
      if (!item) continue
      const extras = withoutKeys(item, ['pk', 'sk', 'data', '_et', 'active', 'createdAt', 'version'])
      puts.push({ PutRequest: { Item: { ...extras, pk: ROOM_PARTITION, sk, data: roomName } } })
      deletes.push(deleteRequestFor(item))
    }
  }
  await ctx.write({ puts, deletes })
  return { scanned: roomItems.length, changed: deletes.length }
}

function downgradeItem(item: ScannedItem) {
  if (item._et === 'RoomState') return { deletes: [deleteRequestFor(item)] }
  // A departure (a left subscription kept for retries) would read as a subscriber in the seed's layout.
  if (item._et === 'Departure') return { deletes: [deleteRequestFor(item)] }
  // So would a big room's presence outbox (an open `$disconnect` burst, sk `#leaving`).
  if (item._et === 'PresenceOutbox') return { deletes: [deleteRequestFor(item)] }
  if (item._et === 'Subscription') {
    const put: WriteRequest = {
      PutRequest: { Item: { pk: item.pk, sk: item.sk, data: item.data, userName: item.userName } },
    }
    return replaceItem(item, put, ['pk', 'sk', 'data', 'userName', 'roomName', 'subscribedAt', '_et'])
  }
  if (item._et === 'Message') {
    const { roomName, time, id } = item
    const put: WriteRequest = {
      PutRequest: {
        Item: {
          pk: item.pk,
          sk: `${String(roomName)}${DELIMITER}${Number(time)}${DELIMITER}${String(id)}`,
          data: item.connectionId,
          // The seed's layout knows no history shards: the plain name (`guest|3` → `guest`).
          userName: userNameOfHistoryKey(String(item.data)),
          message: item.message,
        },
      },
    }
    const known = [
      'pk',
      'sk',
      'data',
      'roomName',
      'time',
      'id',
      'connectionId',
      'message',
      'expiresAt',
      '_et',
    ]
    return replaceItem(item, put, known)
  }
  return undefined
}

function withoutKeys(item: ScannedItem, names: readonly string[]): ScannedItem {
  return Object.fromEntries(Object.entries(item).filter(([name]) => !names.includes(name)))
}
