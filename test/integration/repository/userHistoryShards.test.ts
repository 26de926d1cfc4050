import { DeleteTableCommand } from '@aws-sdk/client-dynamodb'
import { EntityFormatter } from 'dynamodb-toolbox/entity/actions/format'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { fromEnvironment } from '../../../src/config/fromEnvironment.js'
import { ChatDbError } from '../../../src/errors.js'
import { userHistoryKey } from '../../../src/keys.js'
import { createChatRepository } from '../../../src/repository/chatRepository.js'
import { savedMessage } from '../../../src/repository/savedItems.js'
import { createTableStore } from '../../../src/repository/tableStore.js'
import type { ChatRepositoryOptions } from '../../../src/repository/types.js'
import { resolveUserHistoryShards } from '../../../src/repository/userHistoryShards.js'
import { createTestTable, useTestTable } from '../../support/dynamo.js'
import { scanAll } from '../../support/scan.js'

const t = useTestTable()

let roomSeq = 0
const freshRoom = (label = 'room') => `${label}-${++roomSeq}`

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return error instanceof ChatDbError ? error.code : `not a ChatDbError: ${String(error)}`
  }
  return undefined
}

/** Message items of the table by their `data` (the GSI partition key). */
async function messageCountsByKey(tableName: string, userName: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  for (const item of await scanAll(t.documentClient, tableName)) {
    if (item._et !== 'Message') continue
    const data = String(item.data)
    if (data !== userName && !data.startsWith(`${userName}|`)) continue
    counts[data] = (counts[data] ?? 0) + 1
  }
  return counts
}

/** Posts `messages` (room, id, text) as `userName`, subscribing its connection to each room first. */
async function postAll(
  repo: ReturnType<typeof createChatRepository>,
  userName: string,
  messages: { roomName: string; id: string; time: number; message: string }[],
) {
  const connectionId = `conn-${userName}`
  for (const roomName of new Set(messages.map((m) => m.roomName)))
    await repo.subscribe({ roomName, connectionId, userName })
  for (const m of messages) await repo.postMessage({ ...m, connectionId })
}

describe('user history shards', () => {
  beforeEach(() => t.counter.reset())

  describe('postMessage', () => {
    it('spreads 400 messages of one name evenly over 4 GSI keys, reading back the plain name', async () => {
      const repo = t.repository({ userHistoryShards: 4 })
      const roomName = freshRoom('spread')
      const messages = Array.from({ length: 400 }, (_, i) => ({
        roomName,
        id: `spread-${i}`,
        time: 1_800_000_000_000 + i,
        message: `m${i}`,
      }))
      await postAll(repo, 'guest', messages)
      const counts = await messageCountsByKey(t.tableName, 'guest')
      expect(Object.keys(counts).sort()).toEqual(['guest', 'guest|1', 'guest|2', 'guest|3'])
      // Even: 100 each expected; a stable hash of these ids gives 89–111 (checked: binomial sd ≈ 8.7).
      for (const count of Object.values(counts)) expect(count).toBeGreaterThanOrEqual(75)
      for (const count of Object.values(counts)) expect(count).toBeLessThanOrEqual(125)
      // Every reader of a Message gets the plain name: the hot-path decoder, the toolbox
      // formatter (admin and migrations), recentMessages and historyOfUser.
      const items = (await scanAll(t.documentClient, t.tableName)).filter((i) => i.data === 'guest|2')
      expect(items.length).toBeGreaterThan(0)
      const formatter = createTableStore({
        documentClient: t.documentClient,
        tableName: t.tableName,
      }).entities.Message.build(EntityFormatter)
      for (const item of items) {
        expect(savedMessage(item).userName).toBe('guest')
        expect(formatter.format(item).userName).toBe('guest')
      }
      const recent = await repo.recentMessages(roomName, { limit: 400 })
      expect(new Set(recent.map((m) => m.userName))).toEqual(new Set(['guest']))
      const history = await repo.historyOfUser('guest', { roomName })
      expect(history.flatMap((g) => g.messages).map((m) => m.id)).toEqual(messages.map((m) => m.id))
      expect(new Set(history.flatMap((g) => g.messages).map((m) => m.userName))).toEqual(new Set(['guest']))
    })

    it('keeps the request budget with one shard: Query + PutItem, data = the plain name', async () => {
      const repo = t.repository()
      const roomName = freshRoom('budget')
      await repo.subscribe({ roomName, connectionId: 'budget-c', userName: 'budget-user' })
      t.counter.reset()
      for (let i = 0; i < 8; i++)
        await repo.postMessage({ roomName, connectionId: 'budget-c', message: `x${i}`, id: `b-${i}` })
      expect(t.counter.counts()).toEqual({ Query: 8, PutItem: 8 })
      expect(await messageCountsByKey(t.tableName, 'budget-user')).toEqual({ 'budget-user': 8 })
      t.counter.reset()
      expect((await repo.historyOfUser('budget-user')).flatMap((g) => g.messages)).toHaveLength(8)
      expect(t.counter.counts()).toEqual({ Query: 1 })
    })
  })

  describe('historyOfUser', () => {
    // Rooms whose order differs between UTF-16 (JS strings) and UTF-8 (DynamoDB's sort keys):
    // U+FB00 sorts after an emoji's surrogate pair in JS but before its UTF-8 bytes.
    const rooms = ['zeta', 'ﬀ-room', '😀-room', 'alpha', 'é-room']
    const sameHistory = (prefix: string) =>
      Array.from({ length: 60 }, (_, i) => ({
        roomName: `${rooms[i % rooms.length]}-${prefix}`,
        id: `h-${i}`,
        // Several messages share a millisecond: their order then comes from the id.
        time: 1_800_000_000_000 + Math.floor(i / 7),
        message: `text ${i}`,
      }))

    let otherTable: string
    beforeAll(async () => {
      otherTable = await createTestTable(t.documentClient)
    })
    afterAll(async () => {
      await t.documentClient.send(new DeleteTableCommand({ TableName: otherTable }))
    })
    const repoOn = (tableName: string, options: Partial<ChatRepositoryOptions> = {}) =>
      createChatRepository({ documentClient: t.documentClient, tableName, ...options })

    it('returns with 4 shards exactly what 1 shard returns for the same messages, in the same order', async () => {
      const messages = sameHistory('same')
      const sharded = repoOn(t.tableName, { userHistoryShards: 4 })
      const single = repoOn(otherTable)
      await postAll(sharded, 'twin', messages)
      await postAll(single, 'twin', messages)
      expect(Object.keys(await messageCountsByKey(t.tableName, 'twin'))).toHaveLength(4)

      t.counter.reset()
      const fromShards = await sharded.historyOfUser('twin')
      expect(t.counter.counts()).toEqual({ Query: 4 })
      t.counter.reset()
      const fromOne = await single.historyOfUser('twin')
      expect(t.counter.counts()).toEqual({ Query: 1 })
      expect(fromShards).toEqual(fromOne)
      expect(fromShards.map((g) => g.roomName)).toHaveLength(rooms.length)
      const room = `${rooms[2]}-same`
      expect(await sharded.historyOfUser('twin', { roomName: room })).toEqual(
        await single.historyOfUser('twin', { roomName: room }),
      )
    })

    it('reads old shard-0 messages beside new sharded ones after raising the shard count', async () => {
      const messages = sameHistory('mixed')
      const before = repoOn(t.tableName)
      const after = repoOn(t.tableName, { userHistoryShards: 3 })
      await postAll(before, 'mixer', messages.slice(0, 30))
      await postAll(after, 'mixer', messages.slice(30))
      const single = repoOn(otherTable)
      await postAll(single, 'mixer', messages)
      const counts = await messageCountsByKey(t.tableName, 'mixer')
      expect((counts.mixer ?? 0) > 30).toBe(true)
      expect(await after.historyOfUser('mixer')).toEqual(await single.historyOfUser('mixer'))
    })

    it('still finds every message after lowering the shard count, as long as the old count is read', async () => {
      const messages = sameHistory('lower')
      await postAll(repoOn(t.tableName, { userHistoryShards: 4 }), 'lowered', messages)
      const lowered = repoOn(t.tableName, { userHistoryShards: 2, userHistoryReadShards: 4 })
      const all = (await lowered.historyOfUser('lowered')).flatMap((g) => g.messages)
      expect(all.map((m) => m.id).sort()).toEqual(messages.map((m) => m.id).sort())
      // Reading only the new count would miss the messages of shards 2 and 3.
      const forgetful = (
        await repoOn(t.tableName, { userHistoryShards: 2 }).historyOfUser('lowered')
      ).flatMap((g) => g.messages)
      expect(forgetful.length).toBeLessThan(messages.length)
    })
  })

  describe('options', () => {
    it('refuses shard counts out of range and reading fewer shards than are written', () => {
      const make = (options: Partial<ChatRepositoryOptions>) => () => t.repository(options)
      expect(codeOf(make({ userHistoryShards: 0 }))).toBe('validation.option')
      expect(codeOf(make({ userHistoryShards: 2.5 }))).toBe('validation.option')
      expect(codeOf(make({ userHistoryShards: 65 }))).toBe('validation.option')
      expect(codeOf(make({ userHistoryShards: 4, userHistoryReadShards: 2 }))).toBe('validation.option')
      expect(codeOf(make({ userHistoryShards: 64, userHistoryReadShards: 64 }))).toBeUndefined()
    })

    it('reads CHATDB_USER_HISTORY_SHARDS and CHATDB_USER_HISTORY_READ_SHARDS', () => {
      const historyShardsFromEnv = (env: Record<string, string>) =>
        fromEnvironment(env, ['userHistoryShards', 'userHistoryReadShards'])
      expect(historyShardsFromEnv({})).toEqual({})
      expect(historyShardsFromEnv({ CHATDB_USER_HISTORY_SHARDS: '' })).toEqual({})
      expect(historyShardsFromEnv({ CHATDB_USER_HISTORY_SHARDS: '8' })).toEqual({ userHistoryShards: 8 })
      expect(
        historyShardsFromEnv({ CHATDB_USER_HISTORY_SHARDS: '2', CHATDB_USER_HISTORY_READ_SHARDS: '8' }),
      ).toEqual({ userHistoryShards: 2, userHistoryReadShards: 8 })
      expect(codeOf(() => historyShardsFromEnv({ CHATDB_USER_HISTORY_SHARDS: 'many' }))).toBe(
        'validation.option',
      )
      expect(
        codeOf(() =>
          resolveUserHistoryShards(
            historyShardsFromEnv({ CHATDB_USER_HISTORY_SHARDS: '8', CHATDB_USER_HISTORY_READ_SHARDS: '2' }),
          ),
        ),
      ).toBe('validation.option')
    })

    it('builds shard 0 as the plain name and shard k as <name>|<k>', () => {
      expect(userHistoryKey('guest', 0)).toBe('guest')
      expect(userHistoryKey('guest', 3)).toBe('guest|3')
    })
  })
})
