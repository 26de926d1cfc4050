import { defineConfig } from 'vitest/config'

// Data tests run on two engines: dynalite (in process, every test) and DynamoDB Local (AWS's
// emulator in Java, the areas listed below). `npx vitest run --project dynalite` (or
// `--project dynamodb-local`) runs one engine alone; test/support/globalSetup.ts starts it.
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

export default defineConfig({
  test: {
    globalSetup: ['test/support/globalSetup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_REGION: 'local',
    },
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
          env: { CHATDB_TEST_ENGINE: 'dynamodb-local' },
        },
      },
    ],
  },
})
