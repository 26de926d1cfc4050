import { describe, expect, it } from 'vitest'
import { isChatDbError } from '../../../src/errors.js'
import { FANOUT_REQUEST_TIMEOUT_MS, fanOutSettingsFromEnv } from '../../../src/lambda/fanOutEnvironment.js'

const queueUrl = 'https://sqs.eu-west-1.amazonaws.com/123456789012/chat-fanout'
const managementEndpoint = 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod'
const required = { CHATDB_FANOUT_QUEUE_URL: queueUrl, CHATDB_MANAGEMENT_ENDPOINT: managementEndpoint }

describe('fanOutSettingsFromEnv', () => {
  it('needs only the queue URL and the management endpoint; the rest has defaults', () => {
    expect(fanOutSettingsFromEnv(required)).toEqual({
      tableName: 'chat',
      queueUrl,
      managementEndpoint,
      dynamoDbTimeoutMs: FANOUT_REQUEST_TIMEOUT_MS,
      dynamoDbMaxAttempts: undefined,
      managementTimeoutMs: FANOUT_REQUEST_TIMEOUT_MS,
      managementMaxAttempts: undefined,
      queueTimeoutMs: FANOUT_REQUEST_TIMEOUT_MS,
      queueMaxAttempts: undefined,
      postConcurrency: undefined,
      managementMaxSockets: undefined,
    })
  })

  it('reads every variable', () => {
    expect(
      fanOutSettingsFromEnv({
        CHATDB_FANOUT_QUEUE_URL: queueUrl,
        CHATDB_TABLE: 'prod-chat',
        CHATDB_MANAGEMENT_ENDPOINT: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
        CHATDB_DYNAMODB_TIMEOUT_MS: '1500',
        CHATDB_DYNAMODB_MAX_ATTEMPTS: '4',
        CHATDB_MANAGEMENT_TIMEOUT_MS: '2500',
        CHATDB_MANAGEMENT_MAX_ATTEMPTS: '2',
        CHATDB_QUEUE_TIMEOUT_MS: '3000',
        CHATDB_QUEUE_MAX_ATTEMPTS: '5',
        CHATDB_BROADCAST_CONCURRENCY: '256',
        CHATDB_MANAGEMENT_MAX_SOCKETS: '300',
      }),
    ).toEqual({
      tableName: 'prod-chat',
      queueUrl,
      managementEndpoint: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
      dynamoDbTimeoutMs: 1500,
      dynamoDbMaxAttempts: 4,
      managementTimeoutMs: 2500,
      managementMaxAttempts: 2,
      queueTimeoutMs: 3000,
      queueMaxAttempts: 5,
      postConcurrency: 256,
      managementMaxSockets: 300,
    })
  })

  it('treats empty variables as unset', () => {
    const settings = fanOutSettingsFromEnv({
      ...required,
      CHATDB_TABLE: '',
      CHATDB_BROADCAST_CONCURRENCY: '',
    })
    expect(settings).toMatchObject({
      tableName: 'chat',
      postConcurrency: undefined,
    })
  })

  it.each([
    ['CHATDB_FANOUT_QUEUE_URL', undefined],
    ['CHATDB_FANOUT_QUEUE_URL', ''],
    ['CHATDB_FANOUT_QUEUE_URL', 'chat-fanout'],
    ['CHATDB_MANAGEMENT_ENDPOINT', undefined],
    ['CHATDB_MANAGEMENT_ENDPOINT', ''],
    ['CHATDB_MANAGEMENT_ENDPOINT', 'abc123.execute-api.eu-west-1.amazonaws.com/prod'],
    ['CHATDB_MANAGEMENT_ENDPOINT', 'wss://abc123.execute-api.eu-west-1.amazonaws.com/prod'],
    ['CHATDB_DYNAMODB_TIMEOUT_MS', '0'],
    ['CHATDB_MANAGEMENT_TIMEOUT_MS', 'soon'],
    ['CHATDB_QUEUE_TIMEOUT_MS', 'Infinity'],
    ['CHATDB_QUEUE_MAX_ATTEMPTS', '2.5'],
    ['CHATDB_BROADCAST_CONCURRENCY', '-1'],
    ['CHATDB_MANAGEMENT_MAX_SOCKETS', '1e400'],
  ])('refuses %s=%s with validation.option, naming the variable', (name, value) => {
    const env: Record<string, string | undefined> = { ...required, [name]: value }
    const error = (() => {
      try {
        fanOutSettingsFromEnv(env)
      } catch (e) {
        return e
      }
    })()
    expect(isChatDbError(error, 'validation.option')).toBe(true)
    expect((error as Error).message).toContain(name)
  })
})
