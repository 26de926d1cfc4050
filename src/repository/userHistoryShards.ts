import { checkOption, MAX_USER_HISTORY_SHARDS, SETTINGS } from '../config/settings.js'
import { ChatDbError } from '../errors.js'

export { MAX_USER_HISTORY_SHARDS }

export interface UserHistoryShards {
  /** Shards new messages are spread over. */
  write: number
  /** Shards `historyOfUser` reads: at least `write`. */
  read: number
}

/**
 * The repository's user-history sharding with its defaults applied and checked: both counts by
 * their settings' rule (whole numbers from 1 to {@link MAX_USER_HISTORY_SHARDS}), and reading never
 * fewer shards than are written (new messages would vanish from history). `validation.option`
 * otherwise.
 *
 * @example
 * resolveUserHistoryShards({ userHistoryShards: 4 }) // { write: 4, read: 4 }
 * resolveUserHistoryShards({ userHistoryShards: 4, userHistoryReadShards: 8 }) // after lowering 8 → 4
 */
export function resolveUserHistoryShards(options: {
  userHistoryShards?: number | undefined
  userHistoryReadShards?: number | undefined
}): UserHistoryShards {
  const write = checkOption(
    'userHistoryShards',
    options.userHistoryShards ?? SETTINGS.userHistoryShards.default,
  )
  const read = checkOption('userHistoryReadShards', options.userHistoryReadShards ?? write)
  if (read < write) {
    throw new ChatDbError(
      'validation.option',
      `userHistoryReadShards (${read}) must be at least userHistoryShards (${write}): messages in the unread shards would be missing from history`,
    )
  }
  return { write, read }
}
