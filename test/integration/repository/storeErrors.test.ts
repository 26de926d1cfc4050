import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createDocumentClient } from '../../../src/client.js'
import { ChatDbError } from '../../../src/errors.js'
import { createDynamoLedger } from '../../../src/migrator/dynamoLedger.js'
import { createChatRepository } from '../../../src/repository/chatRepository.js'
import { dynamoEndpoint } from '../../support/dynamo.js'
import {
  type HangingServer,
  refusedEndpoint,
  startHangingServer,
  startResettingServer,
} from '../../support/hangingServer.js'

/** The rejection of `promise`, which must be a ChatDbError. */
async function chatDbErrorOf(promise: Promise<unknown>): Promise<ChatDbError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(ChatDbError)
  return error as ChatDbError
}

const repositoryAt = (endpoint: string, extra: Parameters<typeof createDocumentClient>[0] = {}) =>
  createChatRepository({
    documentClient: createDocumentClient({ endpoint, region: 'local', maxAttempts: 2, ...extra }),
    tableName: 'chat-errors',
  })

describe('the repository, when DynamoDB cannot be reached', () => {
  let hanging: HangingServer
  beforeAll(async () => {
    hanging = await startHangingServer()
  })
  afterAll(() => hanging.close())

  it('raises store.unavailable for a refused connection (ECONNREFUSED)', async () => {
    const error = await chatDbErrorOf(repositoryAt(await refusedEndpoint()).activeRooms())
    expect(error.code).toBe('store.unavailable')
    expect((error.cause as { code?: string }).code).toBe('ECONNREFUSED')
  })

  it('raises store.unavailable for a reset connection (ECONNRESET)', async () => {
    const server = await startResettingServer()
    try {
      const error = await chatDbErrorOf(repositoryAt(server.endpoint).connectionsInRoom('general'))
      expect(error.code).toBe('store.unavailable')
    } finally {
      await server.close()
    }
  })

  it('raises store.unavailable for a request that times out', { timeout: 15_000 }, async () => {
    const repository = repositoryAt(hanging.endpoint, { requestTimeoutMs: 100 })
    const error = await chatDbErrorOf(repository.recentMessages('general'))
    expect(error.code).toBe('store.unavailable')
    expect((error.cause as Error).name).toBe('TimeoutError')
  })

  it('raises store.unavailable from the migration ledger too', async () => {
    const store = createDynamoLedger({
      documentClient: createDocumentClient({
        endpoint: await refusedEndpoint(),
        region: 'local',
        maxAttempts: 1,
      }),
      tableName: 'chat-errors',
    })
    expect((await chatDbErrorOf(store.executed())).code).toBe('store.unavailable')
  })
})

describe('the repository, when the table does not exist', () => {
  it('raises store.tableNotFound naming the table', async () => {
    const repository = createChatRepository({
      documentClient: createDocumentClient({ endpoint: dynamoEndpoint(), region: 'local' }),
      tableName: 'no-such-table-7f3a',
    })
    const error = await chatDbErrorOf(repository.activeRooms())
    expect(error.code).toBe('store.tableNotFound')
    expect(error.message).toContain('"no-such-table-7f3a"')
  })
})

describe('the repository, when the SDK has no region or credentials', () => {
  const saved = { ...process.env }
  beforeAll(() => {
    // Nothing of the machine's own AWS setup may leak in.
    process.env.AWS_CONFIG_FILE = '/nonexistent/aws-config'
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/aws-credentials'
    process.env.AWS_EC2_METADATA_DISABLED = 'true'
    delete process.env.AWS_PROFILE
    delete process.env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
    delete process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI
    delete process.env.AWS_WEB_IDENTITY_TOKEN_FILE
  })
  afterEach(() => {
    process.env.AWS_REGION = saved.AWS_REGION
    process.env.AWS_ACCESS_KEY_ID = saved.AWS_ACCESS_KEY_ID
    process.env.AWS_SECRET_ACCESS_KEY = saved.AWS_SECRET_ACCESS_KEY
  })
  afterAll(() => {
    process.env = saved
  })

  it('raises store.config without a region', async () => {
    delete process.env.AWS_REGION
    delete process.env.AWS_DEFAULT_REGION
    const repository = createChatRepository({
      documentClient: createDocumentClient({ endpoint: dynamoEndpoint() }),
      tableName: 'chat-errors',
    })
    expect((await chatDbErrorOf(repository.activeRooms())).code).toBe('store.config')
  })

  it('raises store.config without credentials', async () => {
    delete process.env.AWS_ACCESS_KEY_ID
    delete process.env.AWS_SECRET_ACCESS_KEY
    delete process.env.AWS_SESSION_TOKEN
    const repository = createChatRepository({
      documentClient: createDocumentClient({ endpoint: dynamoEndpoint(), region: 'local' }),
      tableName: 'chat-errors',
    })
    expect((await chatDbErrorOf(repository.activeRooms())).code).toBe('store.config')
  })
})
