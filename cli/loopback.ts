import { sdkChainsOr } from '../src/client.js'

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
 * The region and credentials for a loopback endpoint: the SDK's own chains when they yield
 * something, else {@link LOCAL_REGION} and {@link LOCAL_CREDENTIALS} (see `sdkChainsOr`).
 *
 * @example
 * createDocumentClient({ endpoint: 'http://127.0.0.1:8000', ...loopbackIdentity() })
 */
export function loopbackIdentity() {
  return sdkChainsOr({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS })
}
