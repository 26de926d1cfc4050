import { ChatDbError } from '../errors.js'

/** Most write shards a user name may have: `historyOfUser` sends one Query per shard read. */
export const MAX_USER_HISTORY_SHARDS = 64

export const USER_HISTORY_SHARDS_ENV = 'CHATDB_USER_HISTORY_SHARDS'
export const USER_HISTORY_READ_SHARDS_ENV = 'CHATDB_USER_HISTORY_READ_SHARDS'

export interface UserHistoryShards {
  /** Shards new messages are spread over. */
  write: number
  /** Shards `historyOfUser` reads: at least `write`. */
  read: number
}

/**
 * The repository's user-history sharding with its defaults applied and checked: both counts
 * whole numbers from 1 to {@link MAX_USER_HISTORY_SHARDS}, and reading never fewer shards than
 * are written (new messages would vanish from history). `validation.option` otherwise.
 *
 * @example
 * resolveUserHistoryShards({ userHistoryShards: 4 }) // { write: 4, read: 4 }
 * resolveUserHistoryShards({ userHistoryShards: 4, userHistoryReadShards: 8 }) // after lowering 8 → 4
 */
export function resolveUserHistoryShards(options: {
  userHistoryShards?: number | undefined
  userHistoryReadShards?: number | undefined
}): UserHistoryShards {
  const write = checkCount('userHistoryShards', options.userHistoryShards ?? 1)
  const read = checkCount('userHistoryReadShards', options.userHistoryReadShards ?? write)
  if (read < write) {
    throw new ChatDbError(
      'validation.option',
      `userHistoryReadShards (${read}) must be at least userHistoryShards (${write}): messages in the unread shards would be missing from history`,
    )
  }
  return { write, read }
}

/**
 * `userHistoryShards` / `userHistoryReadShards` from `CHATDB_USER_HISTORY_SHARDS` and
 * `CHATDB_USER_HISTORY_READ_SHARDS` (unset or empty: the defaults), for the Lambda handlers,
 * `chatdb serve`/`dev` and the operator CLI. A bad value is a `validation.option` error.
 *
 * @example
 * createChatRepository({ documentClient, ...userHistoryShardsFromEnv(process.env) })
 */
export function userHistoryShardsFromEnv(env: Readonly<Record<string, string | undefined>>): {
  userHistoryShards?: number
  userHistoryReadShards?: number
} {
  const read = (name: string, option: string) => {
    const raw = env[name]
    if (raw === undefined || raw.trim() === '') return undefined
    const value = Number(raw)
    if (!isCount(value)) {
      throw new ChatDbError(
        'validation.option',
        `${name} must be a whole number from 1 to ${MAX_USER_HISTORY_SHARDS} (got "${raw}")`,
      )
    }
    return { [option]: value }
  }
  const options = {
    ...read(USER_HISTORY_SHARDS_ENV, 'userHistoryShards'),
    ...read(USER_HISTORY_READ_SHARDS_ENV, 'userHistoryReadShards'),
  }
  resolveUserHistoryShards(options)
  return options
}

function isCount(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= MAX_USER_HISTORY_SHARDS
}

function checkCount(option: string, value: number): number {
  if (!isCount(value)) {
    throw new ChatDbError(
      'validation.option',
      `${option} must be a whole number from 1 to ${MAX_USER_HISTORY_SHARDS} (got ${value})`,
    )
  }
  return value
}
