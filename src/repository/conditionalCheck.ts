/**
 * A conditional write that lost its condition (`ConditionalCheckFailedException`). Not a
 * store error: the repository's races are decided by these conditions, so each caller says
 * what losing means (already subscribed, a newer claim won, the message was already stored).
 */
export function isConditionalCheckFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException'
}

/**
 * Awaits a conditional write and answers whether its condition held: false when DynamoDB
 * refused the write for its condition, the write's own error for anything else.
 *
 * @example
 * if (!(await conditionHeld(put.send()))) return 'already subscribed'
 */
export async function conditionHeld(write: Promise<unknown>): Promise<boolean> {
  return (await ifConditionHeld(write)).held
}

/**
 * Awaits a conditional write and answers its output when its condition held, or `held: false`
 * when DynamoDB refused the write for its condition; the write's own error for anything else.
 */
export async function ifConditionHeld<T>(
  write: Promise<T>,
): Promise<{ held: true; output: T } | { held: false }> {
  try {
    return { held: true, output: await write }
  } catch (error) {
    if (isConditionalCheckFailure(error)) return { held: false }
    throw error
  }
}
