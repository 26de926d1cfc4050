import { defineConfig } from 'vitest/config'
import { sharedTestOptions } from './vitest.config.js'

// The tests Stryker runs against each mutant (`npm run test:mutation`, stryker.config.mjs): the
// unit tests and the repository's data tests, on dynalite only (one engine is enough to tell a
// mutant apart; the engines' differences are the main suite's concern).
export default defineConfig({
  test: {
    ...sharedTestOptions,
    include: (process.env.CHATDB_MUTATION_TESTS ?? 'test/unit/**/*.test.ts').split(','),
    env: { ...sharedTestOptions.env, CHATDB_TEST_ENGINE: 'dynalite' },
  },
})
