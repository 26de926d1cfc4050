import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../../support/cli.js'
import { useTestTable } from '../../support/dynamo.js'

/** The CLI reads the listing layout from CHATDB_ROOM_LISTING_SHARDS, like the Lambda handlers. */
describe('chatdb and CHATDB_ROOM_LISTING_SHARDS', () => {
  const t = useTestTable()

  it('lists rooms written over 4 shards when given the same count', async () => {
    const repository = t.repository({ roomListingShards: 4 })
    const rooms = Array.from({ length: 8 }, (_, i) => `cli-room-${i}`)
    for (const [i, roomName] of rooms.entries())
      await repository.subscribe({ roomName, connectionId: `cli-c-${i}`, userName: 'ada' })
    const run = await runCli(['inspect', 'rooms', '--json'], {
      table: t.tableName,
      env: { CHATDB_ROOM_LISTING_SHARDS: '4' },
    })
    expect(run.code, run.stderr).toBe(0)
    const names = run.json<{ roomName: string }[] | { rooms: { roomName: string }[] }>()
    const listed = (Array.isArray(names) ? names : names.rooms).map((r) => r.roomName)
    expect(listed).toEqual(rooms)
  })

  it('refuses a malformed count with one line and exit 1, leaving no embedded dynalite behind', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatdb-shards-'))
    const run = await runCli(['inspect', 'rooms', '--local', dir], {
      env: { CHATDB_ROOM_LISTING_SHARDS: 'x' },
    })
    expect(run.code).toBe(1)
    expect(run.stderr.split('\n')[0]).toBe(
      'validation.option: CHATDB_ROOM_LISTING_SHARDS must be a whole number 1–64 (got "x")',
    )
  })
})
