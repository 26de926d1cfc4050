/**
 * The crash a test injects into a migration run (from a checkpoint hook). A class of the tests'
 * own, not a `ChatDbErrorCode`: the public codes are what chatdb itself raises. The migrator
 * wraps it as any failure of a migration (`migration.failed`, the crash kept as `cause`), so a
 * test tells its own crash from a real failure by the cause's class.
 */
export class InjectedCrash extends Error {
  override name = 'InjectedCrash'

  constructor() {
    super('crash injected by the test')
  }
}

/** Whether `error` is the migrator's wrapping of an `InjectedCrash`. */
export function isInjectedCrash(error: unknown): boolean {
  return error instanceof Error && error.cause instanceof InjectedCrash
}
