import { defineConfig } from 'vitest/config'

// Data tests run on two engines: dynalite (every integration test) and DynamoDB Local (AWS's
// emulator in Java: every test of the areas listed below but the few under it). `npx vitest run
// --project dynalite` (or `--project dynamodb-local`) runs one engine alone;
// test/support/globalSetup.ts starts it.
const onDynamoDbLocal = [
  'repository',
  'service',
  'system',
  'migrations',
  'migrator',
  'admin',
  'lambda',
  'fanout',
  'cli',
].map((area) => `test/integration/${area}/**/*.test.ts`)

// Tests in those areas that would run the same on DynamoDB Local as on dynalite: they never
// reach the test engine, or the engine is not what they test.
const dynaliteOnly = [
  // `chatdb dev` runs its own embedded dynalite whatever the test engine is (the zero-Java default).
  'test/integration/cli/devStartup.test.ts',
  // No table: the gateway's socket layer with stub handlers; the router's SQS adapter on fauxqs.
  'test/integration/cli/gateway/gatewayServer.test.ts',
  'test/integration/lambda/fanOutQueue.test.ts',
  // Browser tests of the chat page and the operator view (Chromium): what they test is the page.
  // The data path under it (gateway, handlers, repository) runs on both engines in
  // startGateway, inspectApi, localFanOut, serve and serveLargeRoom.
  // (The idle-timeout reconnect and the throttle notice: connectionLifetime and requestLimits.)
  'test/integration/cli/gateway/chatPage*.test.ts',
  'test/integration/cli/gateway/inspectPage.test.ts',
]

/** What every run shares, this suite's and the mutation run's (vitest.mutation.config.ts). */
export const sharedTestOptions = {
  globalSetup: ['test/support/globalSetup.ts'],
  testTimeout: 60_000,
  hookTimeout: 60_000,
  env: {
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: 'local',
  },
}

// Browser tests of the chat page and the operator view (Chromium), in their own project: on
// dynalite only (dynaliteOnly above says why).
const browser = [
  'test/integration/cli/gateway/chatPage*.test.ts',
  'test/integration/cli/gateway/inspectPage.test.ts',
]

/**
 * Four projects (`npx vitest run --project <name>`): unit (no engine; one module graph for all
 * its files, which import much and share nothing), dynalite and dynamodb-local (the integration
 * tests on each engine), browser (Chromium). Three workers on this 2-core machine: many tests
 * wait on sockets, subprocesses and timers, so a third worker fills the time the other two wait.
 */
export default defineConfig({
  test: {
    ...sharedTestOptions,
    maxWorkers: 3,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          globalSetup: [],
          // One module graph for the whole project: a file's spies, stubbed variables and
          // globals are undone after each of its tests, so the next file finds none of them.
          isolate: false,
          restoreMocks: true,
          unstubEnvs: true,
          unstubGlobals: true,
        },
      },
      {
        extends: true,
        test: {
          name: 'dynalite',
          include: ['test/integration/**/*.test.ts'],
          exclude: browser,
          env: { CHATDB_TEST_ENGINE: 'dynalite' },
        },
      },
      {
        extends: true,
        test: {
          name: 'dynamodb-local',
          include: onDynamoDbLocal,
          exclude: dynaliteOnly,
          env: { CHATDB_TEST_ENGINE: 'dynamodb-local' },
        },
      },
      {
        extends: true,
        test: { name: 'browser', include: browser, env: { CHATDB_TEST_ENGINE: 'dynalite' } },
      },
    ],
  },
})
