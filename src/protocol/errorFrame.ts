import { type ChatDbErrorCode, isChatDbError } from '../errors.js'
import type { ErrorFrame } from './frames.js'

/** A 400 error frame: the client sent something we refuse; `message` says what. */
export function badRequest(message: string, action?: string): ErrorFrame {
  return { type: 'error', ...(action ? { action } : {}), statusCode: 400, error: 'Bad Request', message }
}

/** A 500 error frame: our fault, or the store's; the details go to the log, not to the client. */
export function internalError(message: string, action?: string): ErrorFrame {
  return {
    type: 'error',
    ...(action ? { action } : {}),
    statusCode: 500,
    error: 'Internal Server Error',
    message,
  }
}

/** ChatDbError codes the client caused: their messages are written for clients and safe to send. */
export function isClientError(code: ChatDbErrorCode): boolean {
  return code.startsWith('validation.') || code.startsWith('limit.') || code === 'access.notSubscribed'
}

/**
 * The error frame for a failure: `validation.*`, `limit.*` and `access.notSubscribed` become 400 with the
 * error's own message; anything else is a 500 that names the code but not the internals.
 *
 * @example
 * errorFrameFor(new ChatDbError('access.notSubscribed', 'connection is not subscribed to room "x"'), 'sendMessage')
 * // { type: 'error', action: 'sendMessage', statusCode: 400, error: 'Bad Request', message: 'connection is not …' }
 */
export function errorFrameFor(error: unknown, action?: string): ErrorFrame {
  if (isChatDbError(error)) {
    if (isClientError(error.code)) return badRequest(error.message, action)
    return internalError(`the request could not be completed (${error.code}); try again`, action)
  }
  return internalError('the request could not be completed; try again', action)
}
