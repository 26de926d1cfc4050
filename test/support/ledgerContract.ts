import { describe, expect, it } from 'vitest'
import type { LedgerEntry, MigrationLedger } from '../../src/migrator/types.js'

const entry = (version: number, overrides: Partial<LedgerEntry> = {}): LedgerEntry => ({
  version,
  name: `migration-${version}`,
  checksum: `sum-${version}`,
  status: 'applied',
  direction: 'up',
  startedAt: 1_000,
  finishedAt: 2_000,
  itemsScanned: 10,
  itemsChanged: 4,
  ranBy: 'ada@host',
  checkpoints: {},
  ...overrides,
})

/**
 * The contract every {@link MigrationLedger} keeps (umzug's storage contract plus checkpoints),
 * run against the memory ledger in test/unit and the DynamoDB one in test/integration.
 * `fresh` returns an empty ledger.
 */
export function ledgerContract(name: string, fresh: () => Promise<MigrationLedger>) {
  describe(`${name} (MigrationLedger contract)`, () => {
    describe('executed', () => {
      it('is empty before anything is logged', async () => {
        expect(await (await fresh()).executed()).toEqual([])
      })

      it('lists every logged version in version order, whatever the order of logging', async () => {
        const ledger = await fresh()
        for (const version of [12, 2, 7]) await ledger.log(entry(version))
        expect((await ledger.executed()).map((e) => e.version)).toEqual([2, 7, 12])
      })
    })

    describe('log', () => {
      it('keeps every field, checkpoints included, and leaves out undefined ones', async () => {
        const ledger = await fresh()
        const running = entry(1, {
          status: 'failed',
          finishedAt: undefined,
          error: '001_x failed (up): boom',
          previousChecksum: 'old',
          checkpoints: {
            items: {
              done: false,
              scanned: 3,
              changed: 1,
              segments: [{ lastKey: { pk: 'a', sk: 'b' }, done: false }],
            },
            step: { done: true, scanned: 1, changed: 1 },
          },
        })
        await ledger.log(running)
        const [stored] = await ledger.executed()
        expect(stored).toEqual(running)
        expect(stored && 'finishedAt' in stored).toBe(false)
      })

      it('replaces the record of the same version', async () => {
        const ledger = await fresh()
        await ledger.log(entry(3, { status: 'running', finishedAt: undefined }))
        await ledger.log(entry(3, { status: 'applied', itemsChanged: 9 }))
        expect(await ledger.executed()).toEqual([entry(3, { status: 'applied', itemsChanged: 9 })])
      })
    })

    describe('saveCheckpoints', () => {
      it("replaces a logged version's checkpoints and counters and leaves the rest", async () => {
        const ledger = await fresh()
        await ledger.log(entry(1, { status: 'running', finishedAt: undefined }))
        const checkpoints = { items: { done: false, scanned: 50, changed: 5, segments: [] } }
        await ledger.saveCheckpoints(1, { checkpoints, itemsScanned: 50, itemsChanged: 5 })
        expect(await ledger.executed()).toEqual([
          entry(1, {
            status: 'running',
            finishedAt: undefined,
            checkpoints,
            itemsScanned: 50,
            itemsChanged: 5,
          }),
        ])
      })
    })

    describe('unlog', () => {
      it('marks the version rolled back with who did it and when, and clears its checkpoints', async () => {
        const ledger = await fresh()
        await ledger.log(entry(1))
        await ledger.log(entry(2, { checkpoints: { step: { done: true, scanned: 1, changed: 1 } } }))
        await ledger.unlog(2, { finishedAt: 9_000, itemsScanned: 8, itemsChanged: 3, ranBy: 'bob@host' })
        expect(await ledger.executed()).toEqual([
          entry(1),
          entry(2, {
            status: 'rolled-back',
            finishedAt: 9_000,
            itemsScanned: 8,
            itemsChanged: 3,
            ranBy: 'bob@host',
            checkpoints: {},
          }),
        ])
      })
    })
  })
}
