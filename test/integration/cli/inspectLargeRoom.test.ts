import { UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { beforeAll, describe, expect, it } from 'vitest'
import type { RoomDetails } from '../../../src/admin/inspectRoom.js'
import { BASE_SUBSCRIPTION_SHARD, subscriberCountKey } from '../../../src/keys.js'
import { createChatRepository } from '../../../src/repository/chatRepository.js'
import { expectFailure, runCli } from '../../support/cli.js'
import { createTestTable, useTestTable } from '../../support/dynamo.js'

// Subprocesses are slow to start: one table, the commands side by side where they only read.
describe('chatdb inspect room and cleanup rooms on a large room', () => {
  const t = useTestTable()
  let table: string
  const members = Array.from({ length: 12 }, (_, i) => `large${String(i).padStart(2, '0')}=`)

  beforeAll(async () => {
    table = await createTestTable(t.documentClient, 'large')
    const repository = createChatRepository({
      documentClient: t.documentClient,
      tableName: table,
      largeRoomThreshold: 5,
      largeRoomShards: 4,
    })
    for (const connectionId of members) {
      await repository.subscribe({
        roomName: 'lobby',
        connectionId,
        userName: `u${connectionId.slice(5, 7)}`,
      })
    }
    await repository.subscribe({ roomName: 'nook', connectionId: 'small00=', userName: 'ada' })
    // The base partition's counter drifts by 2 (a join counted twice, say).
    await t.documentClient.send(
      new UpdateCommand({
        TableName: table,
        Key: subscriberCountKey('lobby', BASE_SUBSCRIPTION_SHARD),
        UpdateExpression: 'ADD #n :two',
        ExpressionAttributeNames: { '#n': 'n' },
        ExpressionAttributeValues: { ':two': 2 },
      }),
    )
  })

  it('shows the layout, both counts, the distribution and a bounded member list; --json gives per-partition sizes', async () => {
    const [human, json, notNumber, negative] = await Promise.all([
      runCli(['inspect', 'room', 'lobby', '--members', '3'], { table }),
      runCli(['inspect', 'room', 'lobby', '--json'], { table }),
      runCli(['inspect', 'room', 'lobby', '--members', 'many'], { table }),
      runCli(['inspect', 'room', 'lobby', '--members=-1'], { table }),
    ])
    expect(human.code, human.stderr).toBe(0)
    expect(human.stdout).toContain(
      'large room: 4 shards + the base partition; 12 subscribers (exact read), 14 counted',
    )
    expect(human.stdout).toMatch(/per shard: min \d+, median \d+, max \d+; base partition 5/)
    expect(human.stdout).toContain('counters off (chatdb cleanup rooms repairs them): base counts 7, holds 5')
    expect(human.stdout).toContain('… 9 more members not listed')
    // Three member rows (the base partition's, first), not twelve.
    expect(human.stdout.match(/large\d\d=/g)).toHaveLength(3)

    expect(json.code, json.stderr).toBe(0)
    const room = json.json<RoomDetails>()
    expect(room.large?.partitions.map((p) => p.shard)).toEqual([BASE_SUBSCRIPTION_SHARD, 0, 1, 2, 3])
    expect(room.large?.partitions[0]).toEqual({ shard: BASE_SUBSCRIPTION_SHARD, subscribers: 5, counted: 7 })
    expect(room.large?.partitions.reduce((n, p) => n + (p.subscribers ?? 0), 0)).toBe(12)
    expect(room.large).toMatchObject({ shards: 4, subscriberCount: 14, exactSubscribers: 12, users: 12 })
    expect(room.subscribers).toHaveLength(12)
    expect(room.membersOmitted).toBe(0)

    expectFailure(notNumber, 'cli.usage', 2)
    expectFailure(negative, 'validation.option')
  })

  it('cleanup rooms --dry-run reports the counter off and writes nothing; cleanup rooms repairs it', async () => {
    const dry = await runCli(['cleanup', 'rooms', '--dry-run'], { table })
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.stdout).toContain('1 subscriber counters of large rooms off (would be repaired)')
    expect(dry.stdout).toMatch(/lobby\s*│\s*recounted\s*│\s*1/)
    const dryJson = await runCli(['cleanup', 'rooms', '--dry-run', '--json'], { table })
    expect(dryJson.json()).toEqual({
      rooms: 2,
      changes: [{ roomName: 'lobby', action: 'recounted', countersRepaired: 1 }],
      countersRepaired: 1,
      dryRun: true,
      unreadable: [],
    })
    const done = await runCli(['cleanup', 'rooms', '--json'], { table })
    expect(done.code, done.stderr).toBe(0)
    expect(done.json()).toEqual({
      rooms: 2,
      changes: [{ roomName: 'lobby', action: 'recounted', countersRepaired: 1 }],
      countersRepaired: 1,
      dryRun: false,
      unreadable: [],
    })
    const after = await runCli(['inspect', 'room', 'lobby', '--json'], { table })
    expect(after.json<RoomDetails>().large).toMatchObject({ subscriberCount: 12, countersOff: [] })
    const again = await runCli(['cleanup', 'rooms', '--json'], { table })
    expect(again.json()).toEqual({
      rooms: 2,
      changes: [],
      countersRepaired: 0,
      dryRun: false,
      unreadable: [],
    })
  })

  it('keeps a small room’s output as it was', async () => {
    const run = await runCli(['inspect', 'room', 'nook'], { table })
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain('users (1): ada')
    expect(run.stdout).not.toContain('large room')
    expect(run.stdout).not.toContain('more members')
  })
})
