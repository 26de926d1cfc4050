import { Readable } from 'node:stream'
import type { AttributeValue } from '@aws-sdk/client-dynamodb'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { unmarshall } from '@aws-sdk/util-dynamodb'
import { prng } from './scan.js'

type HttpRequestLike = { headers: Record<string, string>; body?: unknown }
type WriteRequestJson = Record<string, unknown>

/**
 * Makes BatchWriteItem behave like throttled DynamoDB, which dynalite never does: for each call
 * `drop(requestCount, callIndex)` says how many of its requests to hold back. Those are not sent
 * and come back in `UnprocessedItems`; the rest really are written.
 * Runs in the build step, before signing, on the serialized request.
 */
export function injectUnprocessedItems(
  documentClient: DynamoDBDocumentClient,
  drop: (requestCount: number, callIndex: number) => number,
) {
  let calls = 0
  let injected = 0
  documentClient.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request as HttpRequestLike
      const text = bodyText(request.body)
      if (!request.headers['x-amz-target']?.endsWith('.BatchWriteItem') || text === undefined)
        return next(args)
      const body = JSON.parse(text) as { RequestItems: Record<string, WriteRequestJson[]> }
      const [tableName, requests = []] = Object.entries(body.RequestItems)[0] ?? []
      const held = Math.min(requests.length, Math.max(0, drop(requests.length, calls++)))
      if (!tableName || held === 0) return next(args)
      injected += held
      const kept = requests.slice(0, requests.length - held)
      // The document client's deserializer already unmarshalled the output this middleware sees;
      // a raw BatchWriteItemCommand (importTable) gets its own input's AttributeValues back.
      const unprocessed = {
        [tableName]: isDocumentCommand(context)
          ? requests.slice(requests.length - held).map(unmarshallRequest)
          : rawRequests(args.input, tableName).slice(requests.length - held),
      }
      if (kept.length === 0) {
        const output = { UnprocessedItems: unprocessed, $metadata: {} }
        return { response: { statusCode: 200, headers: {} }, output } as unknown as Awaited<
          ReturnType<typeof next>
        >
      }
      request.body = JSON.stringify({ ...body, RequestItems: { [tableName]: kept } })
      request.headers['content-length'] = String(Buffer.byteLength(request.body as string))
      const result = await next(args)
      ;(result.output as { UnprocessedItems?: unknown }).UnprocessedItems = unprocessed
      return result
    },
    { step: 'build', priority: 'low', name: 'injectUnprocessedItems', override: true },
  )
  return { injected: () => injected, calls: () => calls }
}

/** lib-dynamodb marks its commands with the DDB_MAPPER feature before they are sent. */
function isDocumentCommand(context: unknown): boolean {
  const features = (context as { __aws_sdk_context?: { features?: Record<string, unknown> } })
    .__aws_sdk_context?.features
  return features?.DDB_MAPPER !== undefined
}

function rawRequests(input: unknown, tableName: string): WriteRequestJson[] {
  return (input as { RequestItems?: Record<string, WriteRequestJson[]> }).RequestItems?.[tableName] ?? []
}

function unmarshallRequest(request: WriteRequestJson): WriteRequestJson {
  const { PutRequest, DeleteRequest } = request as {
    PutRequest?: { Item: Record<string, AttributeValue> }
    DeleteRequest?: { Key: Record<string, AttributeValue> }
  }
  if (PutRequest) return { PutRequest: { Item: unmarshall(PutRequest.Item) } }
  if (DeleteRequest) return { DeleteRequest: { Key: unmarshall(DeleteRequest.Key) } }
  return request
}

/** The serialized JSON body: a string, or (in current SDKs) a Uint8Array of UTF-8. */
function bodyText(body: unknown): string | undefined {
  if (typeof body === 'string') return body
  if (body instanceof Uint8Array)
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')
  return undefined
}

export type DynamoFault =
  /** 400 ProvisionedThroughputExceededException (retryable throttling). */
  | 'throughput'
  /** 400 ThrottlingException. */
  | 'throttling'
  /** 500 InternalServerError. */
  | 'internal'
  /** No answer: the request never reaches DynamoDB and the call times out. */
  | 'timeout'
  /** The request is served (a write lands), then the answer is lost on the way back. */
  | 'lostResponse'

export interface DynamoFaultOptions {
  /** Probability that a request attempt meets a fault (0..1). */
  rate: number
  faults?: readonly DynamoFault[]
  /** Only these operations (`PutItem`, `Query`, ...) meet faults; all when unset. */
  operations?: readonly string[]
  seed?: number
}

const errorResponse = (statusCode: number, type: string, message: string) =>
  // Shaped like the SDK's HttpResponse, which the deserializer reads.
  ({
    statusCode,
    reason: undefined,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'injected-fault' },
    body: Readable.from([
      Buffer.from(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message })),
    ]),
  })

/**
 * Injects DynamoDB failures that dynalite never produces, per request attempt, below the SDK's
 * retry strategy (so the SDK retries them as it would in AWS) and above its deserializer (so the
 * errors the caller sees are the SDK's own exception classes). Deterministic for a seed.
 *
 * @example
 * const faults = injectDynamoFaults(documentClient, { rate: 0.2, seed: 7 })
 * // ... run operations ...
 * faults.stop()
 */
export function injectDynamoFaults(documentClient: DynamoDBDocumentClient, options: DynamoFaultOptions) {
  const { faults = ['throughput', 'throttling', 'internal', 'timeout', 'lostResponse'], operations } = options
  const random = prng(options.seed ?? 1)
  const injected: Record<string, number> = {}
  let active = true
  const name = `injectDynamoFaults${Math.floor(Math.random() * 1e9)}`
  documentClient.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as HttpRequestLike
      const target = request.headers['x-amz-target'] ?? ''
      const operation = target.slice(target.indexOf('.') + 1)
      if (!active || (operations && !operations.includes(operation)) || random.next() >= options.rate) {
        return next(args)
      }
      const fault = random.pick(faults)
      injected[fault] = (injected[fault] ?? 0) + 1
      switch (fault) {
        case 'throughput':
          return {
            response: errorResponse(
              400,
              'ProvisionedThroughputExceededException',
              'injected: throughput exceeded',
            ),
          }
        case 'throttling':
          return { response: errorResponse(400, 'ThrottlingException', 'injected: rate exceeded') }
        case 'internal':
          return { response: errorResponse(500, 'InternalServerError', 'injected: internal server error') }
        case 'timeout':
          throw Object.assign(new Error('injected: connection timed out'), { name: 'TimeoutError' })
        case 'lostResponse':
          return loseAnswer(await next(args))
      }
    },
    { step: 'deserialize', priority: 'low', name },
  )
  return {
    /** Faults injected so far, by kind. */
    injected: () => ({ ...injected }),
    total: () => Object.values(injected).reduce((a, b) => a + b, 0),
    stop: () => {
      active = false
      documentClient.middlewareStack.remove(name)
    },
  }
}

/**
 * A request served, whose answer is then lost with its connection ('lostResponse'). The unread
 * body is destroyed, which closes its socket as a reset would: left unread on DynamoDB Local, it
 * held its pooled socket until the engine closed the idle connection, and a run with many lost
 * answers stalled for 10-16 s at a time on an empty socket pool.
 */
function loseAnswer(served: { response: unknown }): never {
  ;(served.response as { body?: { destroy?: () => void } }).body?.destroy?.()
  throw Object.assign(new Error('injected: socket hang up after the request was served'), {
    name: 'TimeoutError',
    code: 'ECONNRESET',
  })
}

/**
 * Fails exactly one request: the `nth` (1-based) attempt sent on this client from now on, as
 * `fault` ('internal': refused, nothing served; 'lostResponse': served, then the answer is lost).
 * Every other request goes through. For walking a route's requests one by one.
 */
export function failNthRequest(
  documentClient: DynamoDBDocumentClient,
  nth: number,
  fault: Extract<DynamoFault, 'internal' | 'lostResponse'>,
) {
  let seen = 0
  let failed: string | undefined
  const name = `failNthRequest${Math.floor(Math.random() * 1e9)}`
  documentClient.middlewareStack.add(
    (next) => async (args) => {
      if (++seen !== nth) return next(args)
      const target = (args.request as HttpRequestLike).headers['x-amz-target'] ?? ''
      failed = target.slice(target.indexOf('.') + 1)
      if (fault === 'internal') {
        return { response: errorResponse(500, 'InternalServerError', 'injected: internal server error') }
      }
      return loseAnswer(await next(args))
    },
    { step: 'deserialize', priority: 'low', name },
  )
  return {
    /** The operation that met the fault, if the route sent that many requests. */
    failed: () => failed,
    stop: () => documentClient.middlewareStack.remove(name),
  }
}

/**
 * Delays every request by a random 0–`maxMs` ms before it is sent and after it is answered
 * (deterministic delays for a seed): concurrent operations then interleave the way Lambdas on
 * real DynamoDB do, not in the near lock-step of an in-process dynalite.
 *
 * @example
 * const delays = injectDelays(documentClient, { maxMs: 8, seed: 3 })
 * // ... run concurrent operations ...
 * delays.stop()
 */
export function injectDelays(
  documentClient: DynamoDBDocumentClient,
  { maxMs, seed = 1 }: { maxMs: number; seed?: number },
) {
  const random = prng(seed)
  const name = `injectDelays${Math.floor(Math.random() * 1e9)}`
  const pause = () => new Promise((resolve) => setTimeout(resolve, Math.floor(random.next() * maxMs)))
  documentClient.middlewareStack.add(
    (next) => async (args) => {
      await pause()
      const output = await next(args)
      await pause()
      return output
    },
    { step: 'deserialize', priority: 'low', name },
  )
  return { stop: () => documentClient.middlewareStack.remove(name) }
}
