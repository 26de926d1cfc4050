/**
 * A conditional write that lost its condition (`ConditionalCheckFailedException`). Not a
 * store error: the repository's races are decided by these conditions, so each caller says
 * what losing means (already subscribed, a newer claim won, the message was already stored).
 *
 * @example
 * try { await put.send() } catch (error) { if (!isConditionalCheckFailure(error)) throw error }
 */
export function isConditionalCheckFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException'
}
