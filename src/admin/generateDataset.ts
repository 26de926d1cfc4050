import { ChatDbError } from '../errors.js'
import type { SeedDataset } from './seedDataset.js'

export interface GenerateOptions {
  rooms: number
  users: number
  messages: number
  /** PRNG seed: the same options always give the same dataset. */
  seed: number
}

const NAMES = [
  'ada',
  'grace',
  'linus',
  'margaret',
  'alan',
  'barbara',
  'ken',
  'dennis',
  'frances',
  'edsger',
  'radia',
  'john',
  'hedy',
  'donald',
  'katherine',
  'tim',
  'annie',
  'bjarne',
  'sophie',
  'guido',
]
const ROOMS = [
  'general',
  'random',
  'dynamodb',
  'websockets',
  'release-planning',
  'incidents',
  'frontend',
  'backend',
  'design',
  'coffee',
  'hiring',
  'oncall',
  'music',
  'books',
  'gaming',
  'travel',
]
const OPENERS = [
  'Has anyone',
  'Did you',
  'Should we',
  'Can someone',
  'I think we should',
  'Reminder: we need to',
]
const VERBS = ['look at', 'review', 'deploy', 'benchmark', 'document', 'refactor', 'rename', 'test']
const THINGS = [
  'the GSI query',
  'the reconnect logic',
  'the message limit',
  'the new room list',
  'the TTL settings',
  'the load test',
  'the release notes',
  'the batch writer',
  'the dashboard',
  'the retry backoff',
]
const ENDINGS = ['?', ' today?', ' before Friday.', ' this sprint.', ' :)', ', thanks!']

/** Messages start here (fixed, so ids and sort keys repeat from run to run). */
const BASE_TIME = Date.UTC(2026, 0, 5, 9, 0, 0)
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

/**
 * mulberry32: a tiny deterministic PRNG (uniform in [0, 1)); not for anything secret.
 */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

function nameAt(list: readonly string[], index: number): string {
  const base = list[index % list.length] as string
  return index < list.length ? base : `${base}${Math.floor(index / list.length) + 1}`
}

/**
 * A chat of `rooms` rooms, `users` users and `messages` messages, the same for the same options:
 * every room has a subscriber, every user joins one to three rooms, messages come from members,
 * spaced seconds to minutes apart from 2026-01-05 09:00 UTC.
 *
 * @example
 * const dataset = generateDataset({ rooms: 5, users: 20, messages: 200, seed: 42 })
 */
export function generateDataset(options: GenerateOptions): SeedDataset {
  const { rooms, users, messages, seed } = options
  const check = (name: string, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ChatDbError(
        'validation.option',
        `--${name} must be a whole number from ${min} to ${max} (got ${value})`,
      )
    }
  }
  check('rooms', rooms, 1, 10_000)
  check('users', users, 1, 100_000)
  check('messages', messages, 0, 1_000_000)
  check('seed', seed, 0, 2 ** 32 - 1)
  const random = createRandom(seed)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T

  const userList = Array.from({ length: users }, (_, i) => ({
    userName: nameAt(NAMES, i),
    connectionId: `${Array.from({ length: 15 }, () => pick([...ID_ALPHABET])).join('')}=`,
  }))
  const roomNames = Array.from({ length: rooms }, (_, i) => nameAt(ROOMS, i))
  const members = roomNames.map(() => new Set<number>())
  // Every room gets a subscriber, then every user joins one to three rooms at random.
  for (let r = 0; r < rooms; r++) members[r]?.add(r % users)
  for (let u = 0; u < users; u++) {
    const joins = 1 + Math.floor(random() * Math.min(3, rooms))
    for (let j = 0; j < joins; j++) members[Math.floor(random() * rooms)]?.add(u)
  }
  const memberLists = members.map((set) => [...set].sort((a, b) => a - b))

  let time = BASE_TIME
  const messageList = Array.from({ length: messages }, (_, i) => {
    const r = Math.floor(random() * rooms)
    const author = userList[pick(memberLists[r] ?? [0])] ?? userList[0]
    time += 1_000 + Math.floor(random() * 180_000)
    return {
      id: `g${seed}-${String(i).padStart(7, '0')}`,
      roomName: roomNames[r] as string,
      userName: author?.userName as string,
      time,
      message: `${pick(OPENERS)} ${pick(VERBS)} ${pick(THINGS)}${pick(ENDINGS)}`,
    }
  })
  return {
    users: userList,
    rooms: roomNames.map((roomName, r) => ({
      roomName,
      subscribers: (memberLists[r] ?? []).map((u) => userList[u]?.userName as string),
    })),
    messages: messageList,
  }
}
