import {
  DEFAULT_LARGE_ROOM_SHARDS,
  DEFAULT_LARGE_ROOM_THRESHOLD,
  DEFAULT_POST_CONCURRENCY,
} from '../src/config/settings.js'
import { readDeployTemplate } from './deployTemplate.js'

/** The settings of a large room's broadcast as deploy/template.yaml deploys them by default. */
export interface FanOutDeployment {
  /** The worker's `ReservedConcurrentExecutions`. */
  reservedConcurrency: number
  /** The event source mapping's `ScalingConfig.MaximumConcurrency` (unset: the reserved concurrency). */
  maximumConcurrency: number
  /** Jobs per invocation: the mapping's `BatchSize` (SQS's default 10 when unset). */
  batchSize: number
  /** The worker's posts in flight per job (`CHATDB_BROADCAST_CONCURRENCY`, else the code's default). */
  postConcurrency: number
  /** Its keep-alive sockets, shared by the jobs of an invocation (`CHATDB_MANAGEMENT_MAX_SOCKETS`, else the posts in flight). */
  maxSockets: number
  /** The worker's `MemorySize` in MB (its own, else the template's `Globals`). */
  memoryMb: number
  /** Shards of a room that becomes large: one fan-out job each (the router's `CHATDB_LARGE_ROOM_SHARDS`). */
  shards: number
  /** Subscribers at which a room becomes large (the router's `CHATDB_LARGE_ROOM_THRESHOLD`): its base partition keeps them. */
  largeRoomThreshold: number
}

type Value = string | number | { Ref: string } | Record<string, unknown>

interface Template {
  Parameters?: Record<string, { Default?: string | number }>
  Globals?: { Function?: { MemorySize?: Value } }
  Resources?: Record<string, { Type?: string; Properties?: Record<string, unknown> }>
}

/** SQS's default BatchSize for an event source mapping (Lambda's SQS parameters page). */
const SQS_DEFAULT_BATCH_SIZE = 10

/**
 * Reads the fan-out worker's settings from a parsed template: literal values, or `Ref`s to
 * parameters, taken at their `Default`. A value the model cannot resolve (another intrinsic, a
 * parameter without a default, a missing resource) throws, naming it.
 *
 * @example
 * fanOutDeploymentOf(readDeployTemplate<object>().template).reservedConcurrency // 10
 */
export function fanOutDeploymentOf(template: Template): FanOutDeployment {
  const resources = template.Resources ?? {}
  const variablesOf = (properties: Record<string, unknown>) =>
    ((properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
      {}) as Record<string, unknown>
  const resolve = (value: unknown, what: string): number => {
    let resolved = value
    if (typeof value === 'object' && value !== null && 'Ref' in value) {
      const parameter = template.Parameters?.[(value as { Ref: string }).Ref]
      resolved = parameter?.Default
    }
    const number = typeof resolved === 'string' ? Number(resolved) : resolved
    if (typeof number !== 'number' || !Number.isFinite(number) || number <= 0)
      throw new Error(
        `deploy/template.yaml: ${what} is not a positive number or a parameter with one as its default`,
      )
    return number
  }

  // The fan-out queue is the one the functions' CHATDB_FANOUT_QUEUE_URL names; its mapping is
  // the worker's, whatever other queues and mappings the template holds.
  const queues = new Set(
    Object.values(resources).flatMap((r) => {
      const url = variablesOf(r.Properties ?? {}).CHATDB_FANOUT_QUEUE_URL as { Ref?: string } | undefined
      return url?.Ref === undefined ? [] : [url.Ref]
    }),
  )
  const mappings = Object.entries(resources).filter(([, r]) => {
    const source = r.Properties?.EventSourceArn as { 'Fn::GetAtt'?: string | string[] } | undefined
    const attribute = source?.['Fn::GetAtt']
    const queue = Array.isArray(attribute) ? attribute[0] : attribute?.replace(/\.Arn$/, '')
    return r.Type === 'AWS::Lambda::EventSourceMapping' && queue !== undefined && queues.has(queue)
  })
  if (mappings.length !== 1)
    throw new Error(
      `deploy/template.yaml: expected one event source mapping of the fan-out queue (CHATDB_FANOUT_QUEUE_URL), found ${mappings.length}`,
    )
  const [mappingName, mappingResource] = mappings[0] as [string, { Properties?: Record<string, unknown> }]
  const mapping = { name: mappingName, properties: mappingResource.Properties ?? {} }
  const workerName = (mapping.properties.FunctionName as { Ref?: string } | undefined)?.Ref
  const props = workerName === undefined ? undefined : resources[workerName]?.Properties
  if (!props)
    throw new Error(`deploy/template.yaml: ${mapping.name}'s FunctionName is not a !Ref to a function`)
  const variables = variablesOf(props)
  const variable = (name: string, fallback: number) =>
    variables[name] === undefined ? fallback : resolve(variables[name], `${workerName}'s ${name}`)

  const reservedConcurrency = resolve(
    props.ReservedConcurrentExecutions,
    `${workerName}.ReservedConcurrentExecutions`,
  )
  const scaling = mapping.properties.ScalingConfig as { MaximumConcurrency?: unknown } | undefined
  const maximumConcurrency =
    scaling?.MaximumConcurrency === undefined
      ? reservedConcurrency
      : resolve(scaling.MaximumConcurrency, `${mapping.name}.ScalingConfig.MaximumConcurrency`)
  const postConcurrency = variable('CHATDB_BROADCAST_CONCURRENCY', DEFAULT_POST_CONCURRENCY)
  // The router (the other function publishing to the queue) decides when a room becomes large
  // and into how many shards it goes.
  const routers = Object.entries(resources).filter(
    ([name, r]) =>
      name !== workerName &&
      r.Type === 'AWS::Serverless::Function' &&
      variablesOf(r.Properties ?? {}).CHATDB_FANOUT_QUEUE_URL !== undefined,
  )
  if (routers.length !== 1)
    throw new Error(
      `deploy/template.yaml: expected one function publishing fan-out jobs, found ${routers.length}`,
    )
  const [routerName, router] = routers[0] as [string, { Properties?: Record<string, unknown> }]
  const routerVariables = variablesOf(router.Properties ?? {})
  const routerVariable = (name: string, fallback: number) =>
    routerVariables[name] === undefined ? fallback : resolve(routerVariables[name], `${routerName}'s ${name}`)
  return {
    reservedConcurrency,
    maximumConcurrency,
    batchSize:
      mapping.properties.BatchSize === undefined
        ? SQS_DEFAULT_BATCH_SIZE
        : resolve(mapping.properties.BatchSize, `${mapping.name}.BatchSize`),
    postConcurrency,
    maxSockets: variable('CHATDB_MANAGEMENT_MAX_SOCKETS', postConcurrency),
    memoryMb: resolve(props.MemorySize ?? template.Globals?.Function?.MemorySize, `${workerName}.MemorySize`),
    shards: routerVariable('CHATDB_LARGE_ROOM_SHARDS', DEFAULT_LARGE_ROOM_SHARDS),
    largeRoomThreshold: routerVariable('CHATDB_LARGE_ROOM_THRESHOLD', DEFAULT_LARGE_ROOM_THRESHOLD),
  }
}

/** The fan-out worker's settings in deploy/template.yaml, read now (the model follows the file). */
export function readFanOutDeployment(): FanOutDeployment {
  return fanOutDeploymentOf(readDeployTemplate<Template>().template)
}
