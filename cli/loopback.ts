import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb'

/** What a local DynamoDB (dynalite, DynamoDB Local) accepts: it checks neither region nor signature. */
export const LOCAL_REGION = 'local'
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const

/**
 * Whether `url` is an endpoint on this machine: a host in 127.0.0.0/8, `localhost` or `[::1]`.
 * Anything else (another machine, AWS) may check signatures, so it gets no stand-ins.
 */
export function isLoopbackUrl(url: string | undefined): boolean {
  if (!url) return false
  let host: string
  try {
    host = new URL(url).hostname
  } catch {
    return false
  }
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

/**
 * The region and credentials for a loopback endpoint: the SDK's own chains (AWS_REGION, a
 * profile, …) when they yield something, else {@link LOCAL_REGION} and {@link LOCAL_CREDENTIALS}
 * instead of their "Region is missing" and "Could not load credentials" errors. The chains are
 * borrowed from a client built with no region or credentials (which makes no request), so they
 * are exactly the ones any other client would use.
 *
 * @example
 * createDocumentClient({ endpoint: 'http://127.0.0.1:8000', ...loopbackIdentity() })
 */
export function loopbackIdentity(): Pick<DynamoDBClientConfig, 'region' | 'credentials'> {
  const { config } = new DynamoDBClient({})
  return {
    region: () => config.region().catch(() => LOCAL_REGION),
    credentials: () => config.credentials().catch(() => LOCAL_CREDENTIALS),
  }
}
