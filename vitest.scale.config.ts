import { defineConfig } from 'vitest/config'
import { sharedTestOptions } from './vitest.config.js'

// `npm run test:scale`: the long proofs at their full size (test/support/scale.ts), on both
// engines. `npm test` runs the same files at a smaller size; `.ci/run` runs both.
const proofs = ['test/integration/system/largeRoom.test.ts', 'test/integration/migrations/resume.test.ts']

export default defineConfig({
  test: {
    ...sharedTestOptions,
    // One proof at a time: each is long and CPU-bound, and alone it keeps well within its timeout.
    maxWorkers: 1,
    env: { ...sharedTestOptions.env, CHATDB_SCALE: '1' },
    projects: [
      {
        extends: true,
        test: { name: 'scale:dynalite', include: proofs, env: { CHATDB_TEST_ENGINE: 'dynalite' } },
      },
      {
        extends: true,
        test: {
          name: 'scale:dynamodb-local',
          include: proofs,
          env: { CHATDB_TEST_ENGINE: 'dynamodb-local' },
        },
      },
    ],
  },
})
