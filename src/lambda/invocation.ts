import { AsyncLocalStorage } from 'node:async_hooks'

/** What one route invocation did: the keys of its log lines and the counts behind its metrics. */
export interface Invocation {
  /** `$connect`, `$disconnect`, `$default` or the action's name. */
  route: string
  connectionId: string
  /** API Gateway's `requestContext.requestId`. */
  requestId: string
  /** Lambda's `awsRequestId`, when Lambda invoked the route (not the local gateway). */
  lambdaRequestId?: string
  /** DynamoDB requests on the wire, retries included. */
  dynamoDbRequests: number
  postsDelivered: number
  postsGone: number
  postsFailed: number
}

// One store per process, not per router: the local gateway (`chatdb serve`) runs many
// invocations at once through its routers, so a request's context cannot live in shared
// fields (Powertools' appendKeys) without one request's keys landing on another's lines.
const invocations = new AsyncLocalStorage<Invocation>()

/**
 * Runs `work` as the invocation of `route` for `request`: the logger, the request counter and
 * the broadcaster's tally see it through {@link currentInvocation}, across every await.
 *
 * @example
 * await runInvocation({ route: 'sendMessage', connectionId, requestId }, (invocation) => serve(invocation))
 */
export function runInvocation<T>(
  request: Pick<Invocation, 'route' | 'connectionId' | 'requestId' | 'lambdaRequestId'>,
  work: (invocation: Invocation) => Promise<T>,
): Promise<T> {
  const invocation: Invocation = {
    ...request,
    dynamoDbRequests: 0,
    postsDelivered: 0,
    postsGone: 0,
    postsFailed: 0,
  }
  return invocations.run(invocation, () => work(invocation))
}

/** The invocation being served, or undefined outside one (a refused event, a configuration error). */
export function currentInvocation(): Invocation | undefined {
  return invocations.getStore()
}
