import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { BatchPutRequest } from 'dynamodb-toolbox/entity/actions/batchPut'
import { roomListingShardOf } from '../../src/keys.js'
import { fitRoomListFrame, frameBytes } from '../../src/protocol/fitFrame.js'
import type { RoomListFrame } from '../../src/protocol/frames.js'
import { writeInBatches } from '../../src/repository/batchWrite.js'
import { createChatRepository } from '../../src/repository/chatRepository.js'
import { createTableStore } from '../../src/repository/tableStore.js'
import type { BenchEnvironment } from '../env.js'
import type { Section } from '../report.js'

/** DynamoDB's write throughput per partition key (WCU/s), the wall a single listing partition hits. */
const PARTITION_WCU = 1_000
const TARGET_ROOMS = 100_000

interface Recorded {
  requests: number
  rcu: number
  itemsRead: number
  /** Writes per listing shard (PutItem and DeleteItem of Room records). */
  listingWrites: Map<number, number>
}

/**
 * Records, on its own client, every request's consumed capacity (asked for with
 * `ReturnConsumedCapacity: TOTAL`, which dynalite computes as DynamoDB does) and the listing
 * partition each Room write lands in.
 */
function record(client: DynamoDBDocumentClient) {
  const recorded: Recorded = { requests: 0, rcu: 0, itemsRead: 0, listingWrites: new Map() }
  client.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as Record<string, unknown>
      input.ReturnConsumedCapacity = 'TOTAL'
      const key = (input.Item ?? input.Key) as { pk?: unknown; _et?: unknown } | undefined
      const shard = typeof key?.pk === 'string' ? roomListingShardOf(key.pk) : undefined
      if (shard !== undefined) recorded.listingWrites.set(shard, (recorded.listingWrites.get(shard) ?? 0) + 1)
      const result = await next(args)
      const output = result.output as { ConsumedCapacity?: { CapacityUnits?: number }; Count?: number }
      recorded.requests++
      if (input.KeyConditionExpression !== undefined) {
        recorded.rcu += output.ConsumedCapacity?.CapacityUnits ?? 0
        recorded.itemsRead += output.Count ?? 0
      }
      return result
    },
    { step: 'initialize', name: 'benchListingRecorder', override: true },
  )
  return {
    recorded,
    reset() {
      recorded.requests = 0
      recorded.rcu = 0
      recorded.itemsRead = 0
      recorded.listingWrites = new Map()
    },
  }
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })

/**
 * The room listing at scale, per listing shard count: what one `listRooms` reads (the old
 * read-everything listing against the paged one), and how room transitions spread over the
 * listing partitions, from which the transitions/s one table can take follow.
 */
export async function roomListing(
  env: BenchEnvironment,
  { rooms, transitions, shardCounts }: { rooms: number; transitions: number; shardCounts: number[] },
): Promise<Section> {
  const rows: string[][] = []
  const ceilings = new Map<number, number>()
  let pagedItems = 0
  let oldRcuAtTarget = 0
  for (const shards of shardCounts) {
    const client = env.newClient()
    const { recorded, reset } = record(client)
    try {
      const tableName = await env.createTable(`listing-${shards}`, client)
      const store = createTableStore({ documentClient: client, tableName, roomListingShards: shards })
      const repository = createChatRepository({
        documentClient: client,
        tableName,
        roomListingShards: shards,
      })
      // The listing records of `rooms` active rooms, written directly (the listing reads only them).
      const records = Array.from({ length: rooms }, (_, i) =>
        store.entities.Room.build(BatchPutRequest)
          .item({
            roomName: `room-${String(i).padStart(6, '0')}-${'n'.repeat(12)}`,
            active: true,
            createdAt: 1_800_000_000_000 + i,
            version: 1,
          })
          .params(),
      )
      await writeInBatches(client, tableName, records, { concurrency: 8 })

      reset()
      const all = await repository.activeRooms()
      const old = { ...recorded, rooms: all.length }
      reset()
      const page = await repository.activeRoomsPage()
      const frame = fitRoomListFrame(
        page.nextCursor
          ? { type: 'roomList', rooms: page.rooms, nextCursor: page.nextCursor }
          : ({ type: 'roomList', rooms: page.rooms } satisfies RoomListFrame),
        undefined,
        page.cursorAfter,
      )
      const paged = { ...recorded }
      if (shards === 1) {
        pagedItems = paged.itemsRead
        oldRcuAtTarget = (old.rcu * TARGET_ROOMS) / rooms
      }

      // Room transitions through the repository: create and empty `transitions / 2` rooms.
      reset()
      for (let i = 0; i < transitions / 2; i++) {
        const roomName = `churn-${i}`
        await repository.subscribe({ roomName, connectionId: `c-${i}`, userName: 'ada' })
        await repository.unsubscribe({ roomName, connectionId: `c-${i}` })
      }
      const writes = [...recorded.listingWrites.values()]
      const total = writes.reduce((a, b) => a + b, 0)
      const busiest = Math.max(...writes)
      const perTransition = total / transitions
      // The busiest partition takes `busiest / total` of the listing writes: the table's
      // transitions/s stop where that partition reaches its WCU.
      const ceiling = PARTITION_WCU / (perTransition * (busiest / total))
      ceilings.set(shards, ceiling)
      rows.push([
        String(shards),
        `${old.requests} Query, ${fmt(old.rcu, 1)} RCU, ${fmt(old.rooms)} rooms`,
        `${paged.requests} Query, ${fmt(paged.rcu, 1)} RCU, ${fmt(paged.itemsRead)} items read`,
        `${fmt(frame.rooms.length)} rooms, ${fmt(frameBytes(frame) / 1024, 1)} KB${frame.nextCursor ? ', nextCursor' : ''}`,
        fmt(perTransition, 2),
        `${fmt((100 * busiest) / total, 1)} %`,
        fmt(ceiling),
      ])
    } finally {
      client.destroy()
    }
  }
  const one = ceilings.get(1) ?? 0
  const four = ceilings.get(4) ?? 0
  return {
    title: 'Room listing at scale',
    description: [
      `${fmt(rooms)} active rooms' listing records per table, then ${transitions} room transitions (rooms`,
      'created and emptied through the repository), for each listing shard count. "read every room" is',
      'the listing before paging (`activeRooms()`, all pages of every shard); "default listRooms page" is',
      'what a `listRooms` without limit reads now (`activeRoomsPage()`, 1,000 rooms), and the frame it',
      'posts after `fitRoomListFrame`. RCU are the capacity dynalite reports (`ReturnConsumedCapacity`,',
      'computed as DynamoDB does: eventually consistent, 4 KB units). The transitions/s ceiling is',
      `${fmt(PARTITION_WCU)} WCU/s ÷ (listing writes per transition × the busiest listing partition's share).`,
      `Read-everything at ${fmt(TARGET_ROOMS)} rooms scales linearly: ${fmt(oldRcuAtTarget)} RCU per call`,
      `(measured at ${fmt(rooms)} rooms, × ${fmt(TARGET_ROOMS / rooms, 0)}); with 1 shard the default page reads ${fmt(pagedItems)} items`,
      'whatever the room count, with N shards at most N × 1,001.',
      'Reproduce: `npm run bench -- --only=listing` (add `--quick` for small sizes).',
    ].join('\n'),
    header: [
      'shards',
      'read every room',
      'default listRooms page',
      'frame posted',
      'listing writes / transition',
      'busiest partition',
      'transitions/s ceiling',
    ],
    rows,
    checks: [
      {
        name: 'items read by a default listRooms (1 shard)',
        value: pagedItems,
        target: 1_001,
        better: 'lower',
      },
      { name: 'room transitions/s ceiling, 1 listing shard', value: one, target: 450, better: 'higher' },
      { name: 'room transitions/s ceiling, 4 listing shards', value: four, target: 1_500, better: 'higher' },
    ],
  }
}
