import { migrations as shippedMigrations } from '../../migrations/index.js'
import { label } from '../../src/migrator/errors.js'
import { createMigrator } from '../../src/migrator/migrator.js'
import type { DevSetupStep } from './devSetup.js'

/**
 * The `chatdb dev` setup step that applies chatdb's pending migrations, between `table` and
 * `fixtures` in `devSetupSteps`: the local table always has the layout the code expects.
 */
export const migrateDevStep: DevSetupStep = {
  name: 'migrations',
  async run({ documentClient, tableName }, setup) {
    const { results } = await createMigrator({
      documentClient,
      tableName,
      migrations: shippedMigrations,
      // Ctrl-C during dev's setup stops here too, after a checkpoint, and the lock is released.
      hooks: { afterCheckpoint: () => setup.interrupt.check() },
    }).up()
    return results.length === 0 ? 'up to date' : `applied ${results.map(label).join(', ')}`
  },
}
