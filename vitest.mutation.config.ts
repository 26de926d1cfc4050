import { defineConfig } from 'vitest/config'

// The tests Stryker runs against each mutant (`npm run test:mutation`, stryker.config.mjs): the
// unit tests and the repository's data tests, on dynalite only (one engine is enough to tell a
// mutant apart; the engines' differences are the main suite's concern).
export default defineConfig({
  test: {
    globalSetup: ['test/support/globalSetup.ts'],
    include: (process.env.CHATDB_MUTATION_TESTS ?? 'test/unit/**/*.test.ts').split(','),
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_REGION: 'local',
      CHATDB_TEST_ENGINE: 'dynalite',
    },
  },
})
