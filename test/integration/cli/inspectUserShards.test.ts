import { beforeAll, describe, expect, it } from 'vitest'
import { createChatRepository } from '../../../src/repository/chatRepository.js'
import type { UserHistory } from '../../../src/repository/types.js'
import { runCli } from '../../support/cli.js'
import { createTestTable, useTestTable } from '../../support/dynamo.js'

describe('chatdb inspect user with history shards', () => {
  const t = useTestTable()
  let table: string

  beforeAll(async () => {
    table = await createTestTable(t.documentClient, 'shards')
    const repo = createChatRepository({
      documentClient: t.documentClient,
      tableName: table,
      userHistoryShards: 4,
    })
    await repo.subscribe({ roomName: 'lobby', connectionId: 'AAAAAAAAAAAAAAA=', userName: 'guest' })
    for (let i = 0; i < 12; i++)
      await repo.postMessage({
        roomName: 'lobby',
        connectionId: 'AAAAAAAAAAAAAAA=',
        message: `m${i}`,
        id: `g-${i}`,
        // Distinct times: same-millisecond messages would order by id (g-10 before g-2).
        time: 1_800_000_000_000 + i,
      })
  })

  it('reads every shard named by CHATDB_USER_HISTORY_SHARDS, with the plain user name', async () => {
    const run = await runCli(['inspect', 'user', 'guest', '--json'], {
      table,
      env: { CHATDB_USER_HISTORY_SHARDS: '4' },
    })
    expect(run.code, run.stderr).toBe(0)
    const messages = run.json<{ rooms: UserHistory[] }>().rooms.flatMap((group) => group.messages)
    expect(messages.map((m) => m.message)).toEqual(Array.from({ length: 12 }, (_, i) => `m${i}`))
    expect(new Set(messages.map((m) => m.userName))).toEqual(new Set(['guest']))
    // Without it only shard 0 is read: fewer messages (the setting matters).
    const single = await runCli(['inspect', 'user', 'guest', '--json'], { table })
    expect(single.code).toBe(0)
    expect(single.json<{ rooms: UserHistory[] }>().rooms.flatMap((g) => g.messages).length).toBeLessThan(12)
  })

  it('refuses an invalid CHATDB_USER_HISTORY_SHARDS with a clear error', async () => {
    const run = await runCli(['inspect', 'user', 'guest'], {
      table,
      env: { CHATDB_USER_HISTORY_SHARDS: 'x' },
    })
    expect(run.code).not.toBe(0)
    expect(run.stderr).toContain(
      'validation.option: CHATDB_USER_HISTORY_SHARDS must be a whole number 1–64 (got "x")',
    )
  })
})
