import { describe, expect, it } from 'vitest'
import { isMigrationError } from '../../src/migrator/errors.js'
import type { MigrationLockStore } from '../../src/migrator/types.js'

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (isMigrationError(error) ? error.code : String(error)),
  )

/**
 * The lease semantics every {@link MigrationLockStore} keeps, run against the memory store in
 * test/unit and the DynamoDB one in test/integration. `fresh` returns a store nobody holds.
 */
export function lockStoreContract(name: string, fresh: () => Promise<MigrationLockStore>) {
  describe(`${name} (MigrationLockStore contract)`, () => {
    describe('acquire', () => {
      it('gives a free lock to its owner, with its lease', async () => {
        const locks = await fresh()
        expect(await locks.read()).toBeUndefined()
        const lock = await locks.acquire({ owner: 'a', now: 1_000, leaseMs: 100, takeOverExpired: false })
        expect(lock).toEqual({ owner: 'a', acquiredAt: 1_000, leaseUntil: 1_100 })
        expect(await locks.read()).toEqual(lock)
      })

      it('refuses a live lease with migration.locked naming the holder, even with takeOverExpired', async () => {
        const locks = await fresh()
        await locks.acquire({ owner: 'a', now: 0, leaseMs: 100, takeOverExpired: false })
        const refused = locks.acquire({ owner: 'b', now: 50, leaseMs: 100, takeOverExpired: true })
        await expect(refused).rejects.toThrow(/locked by a /)
        expect(
          await codeOf(locks.acquire({ owner: 'b', now: 50, leaseMs: 100, takeOverExpired: false })),
        ).toBe('migration.locked')
        expect(await locks.read()).toMatchObject({ owner: 'a' })
      })

      it('takes over an expired lease only with takeOverExpired', async () => {
        const locks = await fresh()
        await locks.acquire({ owner: 'a', now: 0, leaseMs: 100, takeOverExpired: false })
        expect(
          await codeOf(locks.acquire({ owner: 'b', now: 200, leaseMs: 100, takeOverExpired: false })),
        ).toBe('migration.locked')
        await locks.acquire({ owner: 'b', now: 200, leaseMs: 100, takeOverExpired: true })
        expect(await locks.read()).toEqual({ owner: 'b', acquiredAt: 200, leaseUntil: 300 })
      })

      it('gives a free lock to exactly one of two concurrent owners', async () => {
        const locks = await fresh()
        const outcomes = await Promise.all(
          ['a', 'b'].map((owner) =>
            codeOf(locks.acquire({ owner, now: 0, leaseMs: 1_000, takeOverExpired: false })),
          ),
        )
        expect(outcomes.sort()).toEqual(['migration.locked', 'resolved'])
      })
    })

    describe('renew', () => {
      it('extends the holder lease, and answers false to anyone else', async () => {
        const locks = await fresh()
        await locks.acquire({ owner: 'a', now: 0, leaseMs: 100, takeOverExpired: false })
        expect(await locks.renew('b', 900)).toBe(false)
        expect(await locks.renew('a', 500)).toBe(true)
        expect(await locks.read()).toEqual({ owner: 'a', acquiredAt: 0, leaseUntil: 500 })
      })

      it('answers false when nobody holds the lock', async () => {
        expect(await (await fresh()).renew('a', 500)).toBe(false)
      })
    })

    describe('release', () => {
      it('frees the lock for its holder and leaves a taken-over lock to its new holder', async () => {
        const locks = await fresh()
        await locks.acquire({ owner: 'a', now: 0, leaseMs: 100, takeOverExpired: false })
        await locks.acquire({ owner: 'b', now: 200, leaseMs: 100, takeOverExpired: true })
        await locks.release('a')
        expect(await locks.read()).toMatchObject({ owner: 'b' })
        await locks.release('b')
        expect(await locks.read()).toBeUndefined()
        await locks.acquire({ owner: 'c', now: 300, leaseMs: 100, takeOverExpired: false })
        expect(await locks.read()).toMatchObject({ owner: 'c' })
      })
    })
  })
}
