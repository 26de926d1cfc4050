import { afterEach, describe, expect, it, vi } from 'vitest'
import { isLoopbackUrl, LOCAL_CREDENTIALS, LOCAL_REGION, loopbackIdentity } from '../../../cli/loopback.js'

describe('isLoopbackUrl', () => {
  it('is true for 127.0.0.0/8, localhost and [::1], and for nothing else', () => {
    for (const url of [
      'http://127.0.0.1:8000',
      'http://127.3.2.1',
      'http://localhost:4566',
      'http://[::1]:8000',
    ])
      expect(isLoopbackUrl(url), url).toBe(true)
    for (const url of [
      'https://dynamodb.eu-west-1.amazonaws.com',
      'http://10.0.0.5:8000',
      'http://0.0.0.0:8000',
      'http://127.0.0.1.example.com',
      'not a url',
      undefined,
    ])
      expect(isLoopbackUrl(url), String(url)).toBe(false)
  })
})

describe('loopbackIdentity', () => {
  afterEach(() => vi.unstubAllEnvs())

  it("uses the SDK's region and credentials when they are configured", async () => {
    vi.stubEnv('AWS_REGION', 'eu-west-1')
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'configured')
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'configured-secret')
    const { region, credentials } = loopbackIdentity()
    expect(await (region as () => Promise<string>)()).toBe('eu-west-1')
    expect(await (credentials as () => Promise<unknown>)()).toMatchObject({ accessKeyId: 'configured' })
  })

  it('stands in a region and credentials when the SDK finds none', async () => {
    vi.stubEnv('AWS_REGION', undefined)
    vi.stubEnv('AWS_DEFAULT_REGION', undefined)
    vi.stubEnv('AWS_ACCESS_KEY_ID', undefined)
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', undefined)
    vi.stubEnv('AWS_PROFILE', undefined)
    vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/chatdb-config')
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/chatdb-credentials')
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true')
    const { region, credentials } = loopbackIdentity()
    expect(await (region as () => Promise<string>)()).toBe(LOCAL_REGION)
    expect(await (credentials as () => Promise<unknown>)()).toEqual(LOCAL_CREDENTIALS)
  })
})
