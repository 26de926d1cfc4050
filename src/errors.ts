/**
 * Every error chatdb raises on purpose. Callers branch on `code`, never on the wording.
 */
export type ChatDbErrorCode =
  | 'validation.roomName'
  | 'validation.userName'
  | 'validation.message'
  | 'validation.connectionId'
  | 'validation.option'
  | 'validation.cursor'
  | 'validation.limit'
  | 'access.notSubscribed'
  | 'limit.roomsPerConnection'
  | 'limit.roomFull'
  | 'store.unprocessedItems'
  | 'store.contention'
  | 'store.itemTooLarge'
  | 'store.tableNotFound'
  | 'store.unavailable'
  | 'store.importIncomplete'
  | 'store.config'
  | 'connections.unreachable'
  | 'connections.config'
  | 'connections.frameTooLarge'
  | 'connections.endpointRefused'
  | 'migration.locked'
  | 'migration.lockLost'
  | 'migration.drifted'
  | 'migration.failed'
  | 'migration.irreversible'
  | 'migration.unknownVersion'
  | 'migration.invalidList'
  | 'migration.invalidOption'
  | 'migration.exists'
  | 'queue.batchTooLarge'
  | 'queue.batchTooLong'
  | 'queue.badEntryId'
  | 'queue.emptyMessage'
  | 'queue.badOption'
  | 'queue.notInFlight'
  | 'queue.notFound'
  | 'queue.unavailable'
  | 'queue.failed'
  | 'queue.badJob'

/**
 * @example
 * try {
 *   await repository.postMessage({ roomName: 'general', connectionId, message: 'hi' })
 * } catch (error) {
 *   if (isChatDbError(error, 'access.notSubscribed')) { ... }
 * }
 */
export class ChatDbError extends Error {
  override name = 'ChatDbError'

  constructor(
    readonly code: ChatDbErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

export function isChatDbError(error: unknown, code?: ChatDbErrorCode): error is ChatDbError {
  return error instanceof ChatDbError && (code === undefined || error.code === code)
}
