import { createHash, randomUUID } from 'node:crypto'

// The characters and length the repository accepts for a message id.
const USABLE = /^[A-Za-z0-9._:=+/-]{1,128}$/

/**
 * The id of the message a request posts, derived from the API Gateway request id so that a
 * retried request writes the same item (the repository's conditional put then reports
 * `stored: false` instead of storing a duplicate). Request ids are base64-like and used as
 * they are; anything else is hashed, which keeps distinct ids distinct. Without a request id
 * the message gets a random one.
 *
 * @example
 * messageIdFor('Xk3bBd1XoAMCJzQ=') // 'Xk3bBd1XoAMCJzQ='
 * messageIdFor('a b')              // 'h:…' (43 characters of base64url SHA-256)
 */
export function messageIdFor(requestId: string | undefined): string {
  if (requestId === undefined || requestId === '') return randomUUID()
  // An id that already starts with `h:` is hashed too, so it can never equal another id's hash.
  if (USABLE.test(requestId) && !requestId.startsWith('h:')) return requestId
  return `h:${createHash('sha256').update(requestId).digest('base64url')}`
}
