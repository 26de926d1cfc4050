import { lockedError } from './lockMessages.js'
import type { LockInfo, MigrationLockStore } from './types.js'

/**
 * A migration lock in memory, for unit tests: the same lease semantics as the DynamoDB one
 * (test/support/lockStoreContract.ts runs against both).
 *
 * @example
 * const locks = createMemoryLockStore()
 * await locks.acquire({ owner: 'a', now: 0, leaseMs: 100, takeOverExpired: false })
 */
export function createMemoryLockStore(): MigrationLockStore & {
  /** Every write the lock store received, for assertions. */
  writes(): number
} {
  let lock: LockInfo | undefined
  let writes = 0

  return {
    writes: () => writes,
    async acquire({ owner, now, leaseMs, takeOverExpired }) {
      writes++
      if (lock && !(takeOverExpired && lock.leaseUntil < now)) throw lockedError(lock, now)
      lock = { owner, acquiredAt: now, leaseUntil: now + leaseMs }
      return { ...lock }
    },
    async renew(owner, leaseUntil) {
      writes++
      if (lock?.owner !== owner) return false
      lock = { ...lock, leaseUntil }
      return true
    },
    async release(owner) {
      writes++
      if (lock?.owner === owner) lock = undefined
    },
    async read() {
      return lock && { ...lock }
    },
  }
}
