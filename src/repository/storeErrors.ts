import { ChatDbError } from '../errors.js'
import { isNetworkFailure } from '../util/networkFailure.js'

/** What the translation knows of the caller, for messages that say which table. */
export interface StoreErrorContext {
  tableName?: string
}

/** DynamoDB's throttling errors, as they reach the caller once the SDK's own retries are spent. */
export const THROTTLING_ERROR_NAMES: ReadonlySet<string> = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
])

/** Error names of the SDK and its HTTP layer that mean "no answer in time, or none at all". */
const UNAVAILABLE_NAMES = new Set([
  ...THROTTLING_ERROR_NAMES,
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
])

/**
 * The client is not configured to reach AWS at all: no region (`Region is missing`, raised by
 * the SDK when it sends) or no credentials in the default chain. Retrying will not help.
 */
function configProblem(error: Error): string | undefined {
  if (error.name === 'CredentialsProviderError') {
    return `no AWS credentials: ${error.message} (set them in the environment, a profile or the role)`
  }
  if (/region is missing/i.test(error.message)) {
    return 'no AWS region configured (set AWS_REGION or pass region to createDocumentClient)'
  }
  return undefined
}

/**
 * Turns the DynamoDB errors a caller can act on into ChatDbErrors; others pass unchanged.
 * `store.unavailable`: throttled, failing or unreachable (refused, reset, timed out);
 * `store.config`: no region or credentials; `store.tableNotFound`: names the table.
 */
export function toChatDbError(error: unknown, context: StoreErrorContext = {}): unknown {
  if (!(error instanceof Error) || error instanceof ChatDbError) return error
  const table = context.tableName === undefined ? 'the table' : `table "${context.tableName}"`
  if (error.name === 'ResourceNotFoundException') {
    // DynamoDB's own message ("Requested resource not found") does not say which resource.
    return new ChatDbError('store.tableNotFound', `${table} does not exist (${error.message})`, {
      cause: error,
    })
  }
  if (error.name === 'ValidationException') {
    if (/item size/i.test(error.message)) {
      return new ChatDbError('store.itemTooLarge', error.message, { cause: error })
    }
    return error
  }
  const config = configProblem(error)
  if (config !== undefined) return new ChatDbError('store.config', config, { cause: error })
  if (UNAVAILABLE_NAMES.has(error.name) || isNetworkFailure(error)) {
    const attempts = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts
    return new ChatDbError(
      'store.unavailable',
      `DynamoDB did not serve the request${attempts ? ` (${attempts} attempts)` : ''}: ${error.message}`,
      { cause: error },
    )
  }
  return error
}

/** Wraps every method of `target` so that its rejections go through `toChatDbError`. */
export function translateStoreError<T extends object>(target: T, context: StoreErrorContext = {}): T {
  const wrapped = { ...target } as Record<string, unknown>
  for (const [key, value] of Object.entries(target)) {
    if (typeof value !== 'function') continue
    wrapped[key] = async (...args: unknown[]) => {
      try {
        return await value(...args)
      } catch (error) {
        throw toChatDbError(error, context)
      }
    }
  }
  return wrapped as T
}
