import { defineConfig } from 'vitest/config'

// Data tests run on two engines: dynalite (in process, every test) and DynamoDB Local (AWS's
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

export default defineConfig({
  test: {
    ...sharedTestOptions,
    projects: [
      {
        extends: true,
        test: { name: 'dynalite', include: ['test/**/*.test.ts'], env: { CHATDB_TEST_ENGINE: 'dynalite' } },
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
    ],
  },
})
