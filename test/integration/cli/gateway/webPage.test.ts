import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Gateway, startGateway } from '../../../../cli/gateway/startGateway.js'
import { useTestTable } from '../../../support/dynamo.js'
import { connectClient } from '../../../support/wsClient.js'

const t = useTestTable()
let gateway: Gateway

beforeAll(async () => {
  gateway = await startGateway({ port: 0, documentClient: t.documentClient, tableName: t.tableName })
})
afterAll(async () => {
  await gateway.close()
})

const base = () => gateway.managementEndpoint

describe('the chat page over plain HTTP', () => {
  it('serves / as HTML with a CSP that allows only its own origin and WebSocket', async () => {
    const response = await fetch(`${base()}/`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/html/)
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    const csp = response.headers.get('content-security-policy') ?? ''
    const host = new URL(base()).host
    expect(csp).toContain("default-src 'self'")
    expect(csp).toContain(`connect-src 'self' ws://${host}`)
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/)
    const html = await response.text()
    // No inline script or style: the CSP would block them.
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>|<style|\sstyle=|\son[a-z]+=/i)
  })

  it('serves the script, stylesheet and icon with their types, all under 50 KB together', async () => {
    let total = 0
    for (const [path, type] of [
      ['/', /^text\/html/],
      ['/chat.js', /^text\/javascript/],
      ['/format.js', /^text\/javascript/],
      ['/base.css', /^text\/css/],
      ['/chat.css', /^text\/css/],
      ['/favicon.svg', /^image\/svg\+xml/],
    ] as const) {
      const response = await fetch(`${base()}${path}`)
      expect(response.status, path).toBe(200)
      expect(response.headers.get('content-type'), path).toMatch(type)
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff')
      total += (await response.arrayBuffer()).byteLength
    }
    expect(total).toBeLessThan(50 * 1024)
  })

  it('answers unknown paths and other methods with 404', async () => {
    expect((await fetch(`${base()}/nope`)).status).toBe(404)
    expect((await fetch(`${base()}/web/chat.js`)).status).toBe(404)
    expect((await fetch(`${base()}/`, { method: 'POST', body: 'x' })).status).toBe(404)
  })

  it('keeps the @connections API and WebSocket upgrades working', async () => {
    const client = await connectClient(gateway.url)
    client.send({ action: 'listRooms' })
    expect((await client.next('roomList')).type).toBe('roomList')
    const management = new ApiGatewayManagementApiClient({
      endpoint: base(),
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    })
    await expect(
      management.send(
        new PostToConnectionCommand({ ConnectionId: 'AAAAAAAAAAAAAAA=', Data: Buffer.from('{}') }),
      ),
    ).rejects.toMatchObject({ name: 'GoneException', $metadata: { httpStatusCode: 410 } })
    management.destroy()
    await client.close()
  })
})
