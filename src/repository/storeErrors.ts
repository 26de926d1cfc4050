import { ChatDbError } from '../errors.js'

/** Turns the DynamoDB errors a caller can act on into ChatDbErrors; others pass unchanged. */
export function toChatDbError(error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof ChatDbError) return error
  switch (error.name) {
    case 'ResourceNotFoundException':
      return new ChatDbError('store.tableNotFound', `table not found: ${error.message}`, { cause: error })
    case 'ProvisionedThroughputExceededException':
    case 'ThrottlingException':
    case 'RequestLimitExceeded':
    case 'InternalServerError':
    case 'ServiceUnavailable':
    case 'TimeoutError':
      return new ChatDbError('store.unavailable', `DynamoDB did not serve the request: ${error.message}`, {
        cause: error,
      })
    case 'ValidationException':
      if (/item size/i.test(error.message)) {
        return new ChatDbError('store.itemTooLarge', error.message, { cause: error })
      }
      return error
    default:
      return error
  }
}

/** Wraps every method of `target` so that its rejections go through `toChatDbError`. */
export function translateStoreError<T extends object>(target: T): T {
  const wrapped = { ...target } as Record<string, unknown>
  for (const [key, value] of Object.entries(target)) {
    if (typeof value !== 'function') continue
    wrapped[key] = async (...args: unknown[]) => {
      try {
        return await value(...args)
      } catch (error) {
        throw toChatDbError(error)
      }
    }
  }
  return wrapped as T
}
