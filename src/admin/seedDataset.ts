import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import { ChatDbError } from '../errors.js'
import { assertConnectionId, assertMessageText, assertRoomName, assertUserName } from '../validation.js'

/**
 * A dataset for `chatdb seed`: users (each with one connection), rooms with their subscribers,
 * and messages with fixed ids and times, so seeding twice writes the same items again.
 */
export interface SeedDataset {
  users: { userName: string; connectionId: string }[]
  rooms: { roomName: string; subscribers: string[] }[]
  messages: { id: string; roomName: string; userName: string; time: number; message: string }[]
}

const fileSchema = z.object({
  description: z.string().optional(),
  users: z.array(z.object({ userName: z.string(), connectionId: z.string() }).strict()).min(1),
  rooms: z.array(z.object({ roomName: z.string(), subscribers: z.array(z.string()).min(1) }).strict()),
  messages: z.array(
    z
      .object({
        id: z.string().regex(/^[A-Za-z0-9._:=+/-]{1,128}$/, 'ids are 1–128 URL-safe characters'),
        roomName: z.string(),
        userName: z.string(),
        time: z.union([z.number(), z.iso.datetime({ offset: true })]),
        message: z.string(),
      })
      .strict(),
  ),
})

/**
 * The last millisecond a message key can hold: keys carry the time as an ISO string, which has
 * four-digit years (`+010000-…` would sort before `2026-…`), and `Date` ends in year 275760.
 */
export const LATEST_SEED_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999)

/** The dataset shipped in `fixtures/seed/default.json` (a small team chat). */
export const BUNDLED_DATASET = 'fixtures/seed/default.json'

/** Where the bundled dataset is, from `src/admin` or `dist/src/admin` alike. */
export function bundledDatasetPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const candidate = join(dir, BUNDLED_DATASET)
    if (existsSync(candidate)) return candidate
    const parent = dirname(dir)
    if (parent === dir)
      throw new ChatDbError('validation.option', `bundled dataset ${BUNDLED_DATASET} not found`)
    dir = parent
  }
}

/**
 * Reads and checks a dataset file: JSON shape, names against the key rules, every subscriber
 * and author a listed user, every message in a listed room, ids unique per room.
 * Throws `validation.option` naming the file and the first problem.
 *
 * @example
 * const dataset = loadSeedDataset(bundledDatasetPath())
 */
export function loadSeedDataset(path: string): SeedDataset {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new ChatDbError('validation.option', `cannot read seed file ${path}: ${(error as Error).message}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new ChatDbError('validation.option', `seed file ${path} is not JSON: ${(error as Error).message}`)
  }
  try {
    return checkSeedDataset(json)
  } catch (error) {
    throw new ChatDbError('validation.option', `seed file ${path}: ${(error as Error).message}`)
  }
}

/** Checks a parsed dataset (see `loadSeedDataset`); throws on the first problem. */
export function checkSeedDataset(json: unknown): SeedDataset {
  const parsed = fileSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new ChatDbError('validation.option', `${issue?.path.join('.') || '(root)'}: ${issue?.message}`)
  }
  const { users, rooms, messages } = parsed.data
  const connections = new Map<string, string>()
  for (const user of users) {
    assertUserName(user.userName)
    assertConnectionId(user.connectionId)
    if (connections.has(user.userName))
      throw new ChatDbError('validation.option', `user "${user.userName}" listed twice`)
    connections.set(user.userName, user.connectionId)
  }
  const known = (userName: string, where: string) => {
    if (!connections.has(userName))
      throw new ChatDbError('validation.option', `${where}: unknown user "${userName}"`)
  }
  const roomNames = new Set<string>()
  for (const room of rooms) {
    assertRoomName(room.roomName)
    for (const subscriber of room.subscribers) known(subscriber, `room "${room.roomName}"`)
    roomNames.add(room.roomName)
  }
  const ids = new Set<string>()
  const checked = messages.map((message, index) => {
    const where = `messages.${index}`
    known(message.userName, where)
    if (!roomNames.has(message.roomName)) {
      throw new ChatDbError('validation.option', `${where}: room "${message.roomName}" is not in rooms`)
    }
    assertMessageText(message.message)
    const key = `${message.roomName}|${message.id}`
    if (ids.has(key))
      throw new ChatDbError('validation.option', `${where}: id "${message.id}" used twice in the room`)
    ids.add(key)
    const time = typeof message.time === 'number' ? message.time : Date.parse(message.time)
    // Checked here, with the rest, so that a bad time refuses the file before anything is
    // written (building the key of such a message throws, or sorts it out of place).
    if (!Number.isInteger(time) || time < 0 || time > LATEST_SEED_TIME) {
      throw new ChatDbError(
        'validation.option',
        `${where}.time: ${JSON.stringify(message.time)} is not a time from 1970-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z (epoch ms or ISO-8601)`,
      )
    }
    return { ...message, time }
  })
  return { users, rooms, messages: checked }
}
