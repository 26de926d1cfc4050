import { Metrics } from '@aws-lambda-powertools/metrics'
import type { Invocation } from './invocation.js'
import { DEFAULT_SERVICE_NAME } from './lambdaLogger.js'

/**
 * What the route metrics need of a Powertools `Metrics`. Structural, so the shipped declarations
 * do not name Powertools' types (theirs import @types/aws-lambda, which users need not install).
 */
export interface PowertoolsMetricsSink {
  addDimension(name: string, value: string): unknown
  addMetric(name: string, unit: 'Count' | 'Milliseconds', value: number): unknown
  publishStoredMetrics(): unknown
}

/** Publishes one invocation's metrics. */
export type RouteMetrics = (invocation: Invocation, outcome: { statusCode: number; ms: number }) => void

/**
 * The route metrics as CloudWatch EMF on stdout, or undefined (no metrics) unless
 * `POWERTOOLS_METRICS_NAMESPACE` is set. Off without a namespace rather than Powertools'
 * `default_namespace`: a library must not print a JSON blob per request, nor create metrics a
 * user never asked for, just because it was installed. `POWERTOOLS_METRICS_DISABLED=true`
 * turns them off with a namespace set (Powertools' own switch, also implied by `POWERTOOLS_DEV`).
 *
 * @example
 * // POWERTOOLS_METRICS_NAMESPACE=chatdb
 * const router = createRouter({ documentClient, metrics: routeMetricsFromEnvironment() })
 */
export function routeMetricsFromEnvironment(): RouteMetrics | undefined {
  const sink = metricsSinkFromEnvironment()
  return sink && createRouteMetrics(sink)
}

/** Powertools `Metrics` as the environment configures them; undefined without a namespace. */
function metricsSinkFromEnvironment(): PowertoolsMetricsSink | undefined {
  const namespace = process.env.POWERTOOLS_METRICS_NAMESPACE
  if (!namespace) return undefined
  return new Metrics({ namespace, serviceName: process.env.POWERTOOLS_SERVICE_NAME || DEFAULT_SERVICE_NAME })
}

/**
 * One EMF record per invocation, dimensions `service` and `route`: `requests` (1), `serverErrors`
 * (1 when the route answered 500), `latency` (ms), `postsDelivered`, `postsGone`, `postsFailed`
 * and `dynamoDbRequests` (retries included). Zeros are published too, so averages per route
 * are true. Added and flushed in one synchronous step, so concurrent invocations (the local
 * gateway's) never share a record.
 *
 * @example
 * const publish = createRouteMetrics(new Metrics({ namespace: 'chatdb', serviceName: 'chat' }))
 */
export function createRouteMetrics(metrics: PowertoolsMetricsSink): RouteMetrics {
  return (invocation, { statusCode, ms }) => {
    metrics.addDimension('route', invocation.route)
    metrics.addMetric('requests', 'Count', 1)
    metrics.addMetric('serverErrors', 'Count', statusCode >= 500 ? 1 : 0)
    metrics.addMetric('latency', 'Milliseconds', ms)
    metrics.addMetric('postsDelivered', 'Count', invocation.postsDelivered)
    metrics.addMetric('postsGone', 'Count', invocation.postsGone)
    metrics.addMetric('postsFailed', 'Count', invocation.postsFailed)
    metrics.addMetric('dynamoDbRequests', 'Count', invocation.dynamoDbRequests)
    metrics.publishStoredMetrics()
  }
}

/** Counts what the fan-out worker refused; `endpointRefused`: a job named an endpoint not its own. */
export type FanOutMetrics = (metric: 'endpointRefused') => void

/**
 * The fan-out worker's metrics as CloudWatch EMF on stdout, under the same switches as the
 * routes' ({@link routeMetricsFromEnvironment}); undefined (none) without a namespace.
 *
 * @example
 * const worker = createFanOutHandler({ documentClient, queue, managementEndpoint, metrics: fanOutMetricsFromEnvironment() })
 */
export function fanOutMetricsFromEnvironment(): FanOutMetrics | undefined {
  const sink = metricsSinkFromEnvironment()
  return sink && createFanOutMetrics(sink)
}

/**
 * One EMF record per event, dimensions `service` and `route` (`fanOut`), the event's metric 1.
 *
 * @example
 * const count = createFanOutMetrics(new Metrics({ namespace: 'chatdb', serviceName: 'chat' }))
 * count('endpointRefused')
 */
export function createFanOutMetrics(metrics: PowertoolsMetricsSink): FanOutMetrics {
  return (metric) => {
    metrics.addDimension('route', 'fanOut')
    metrics.addMetric(metric, 'Count', 1)
    metrics.publishStoredMetrics()
  }
}
