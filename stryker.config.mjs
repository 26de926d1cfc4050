// Mutation testing (`npm run test:mutation`): Stryker changes one line of a module at a time and
// checks that some test fails. Not part of `npm test` (it takes minutes); the scores are in
// docs/architecture.md. Stryker 9.6 (10.x needs Node 22) with its vitest runner.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  coverageAnalysis: 'perTest',
  mutate: (process.env.CHATDB_MUTATE ?? 'src/keys.ts,src/protocol/fitFrame.ts').split(','),
  reporters: ['clear-text', 'progress'],
  concurrency: 2,
  thresholds: { high: 90, low: 85, break: 85 },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
}
