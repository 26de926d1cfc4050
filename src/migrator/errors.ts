import { ChatDbError, type ChatDbErrorCode, isChatDbError } from '../errors.js'
import type { Direction } from './types.js'

/** Codes of the migration toolkit: the `migration.` namespace of `ChatDbErrorCode`. */
export type MigrationErrorCode = Extract<ChatDbErrorCode, `migration.${string}`>

/**
 * A ChatDbError raised by the migrator. `migration` and `direction` name the migration that
 * failed (when one did); the original error is kept as `cause`.
 */
export class MigrationError extends ChatDbError {
  override name = 'MigrationError'
  readonly migrationCode: MigrationErrorCode
  readonly migration: { version: number; name: string } | undefined
  readonly direction: Direction | undefined

  constructor(
    code: MigrationErrorCode,
    message: string,
    options?: ErrorOptions & { migration?: { version: number; name: string }; direction?: Direction },
  ) {
    super(code, message, options)
    this.migrationCode = code
    this.migration = options?.migration
    this.direction = options?.direction
  }
}

export function isMigrationError(error: unknown, code?: MigrationErrorCode): error is MigrationError {
  return error instanceof MigrationError && (code === undefined || error.migrationCode === code)
}

/** Wraps a migration's failure with its name and direction, keeping the cause. */
export function wrapMigrationFailure(
  error: unknown,
  migration: { version: number; name: string },
  direction: Direction,
): MigrationError {
  if (error instanceof MigrationError && error.migration) return error
  const reason = isChatDbError(error)
    ? `${error.code}: ${error.message}`
    : error instanceof Error
      ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}`
      : String(error)
  const code = error instanceof MigrationError ? error.migrationCode : 'migration.failed'
  return new MigrationError(code, `migration ${label(migration)} failed (${direction}): ${reason}`, {
    cause: error,
    migration,
    direction,
  })
}

export function label(migration: { version: number; name: string }): string {
  return `${String(migration.version).padStart(3, '0')}_${migration.name}`
}
