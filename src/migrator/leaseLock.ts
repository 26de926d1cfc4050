import { MigrationError } from './errors.js'
import type { MigrationLockStore } from './types.js'

export interface HeldLock {
  owner: string
  /** Throws `migration.lockLost` once a renewal found the lock taken over. */
  assertHeld(): void
  release(): Promise<void>
}

/**
 * Takes the migration lock and keeps it: the lease is renewed every `leaseMs / 3` while the
 * run goes on, so only a run that died (stopped renewing) ever has an expired lease, and only
 * then may `--force-unlock` take it over. A run whose renewal fails (taken over after a long
 * stall) stops at its next page instead of racing the new holder.
 */
export async function holdLock({
  locks,
  owner,
  now,
  leaseMs,
  takeOverExpired,
}: {
  locks: MigrationLockStore
  owner: string
  now: () => number
  leaseMs: number
  takeOverExpired: boolean
}): Promise<HeldLock> {
  await locks.acquire({ owner, now: now(), leaseMs, takeOverExpired })
  let lost: string | undefined
  let renewing: Promise<void> = Promise.resolve()
  const timer = setInterval(
    () => {
      renewing = locks.renew(owner, now() + leaseMs).then(
        (held) => {
          if (!held) lost = 'another run took the migration lock over (our lease had expired)'
        },
        () => {
          // One failed renewal (a network blip) is not fatal while the lease still runs; the
          // next one may succeed, and a taken-over lock is detected by the condition above.
        },
      )
    },
    Math.max(10, Math.floor(leaseMs / 3)),
  )
  timer.unref()
  return {
    owner,
    assertHeld() {
      if (lost) throw new MigrationError('migration.lockLost', lost)
    },
    async release() {
      clearInterval(timer)
      await renewing
      if (!lost) await locks.release(owner)
    },
  }
}
