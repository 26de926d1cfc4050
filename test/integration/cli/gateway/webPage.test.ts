import { readdirSync, readFileSync } from 'node:fs'
import { createContext, runInContext } from 'node:vm'
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Gateway, startGateway } from '../../../../cli/gateway/startGateway.js'
import { CHAT_MODULES } from '../../../../cli/gateway/webPage.js'
import { CONTROL, DELIMITER, limits, MESSAGE_CONTROL } from '../../../../src/validation.js'
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
/** The chat page's modules, beside its entry point `web/chat.js`. */
const CHAT_DIR = '../../../../cli/gateway/web/chat/'

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

  it('serves every module of the chat page, and the page imports no other', () => {
    const files = readdirSync(new URL(CHAT_DIR, import.meta.url)).sort()
    expect(files).toStrictEqual([...CHAT_MODULES])
    const imported = new Set<string>()
    for (const file of ['../chat.js', ...files]) {
      const code = readFileSync(new URL(`${CHAT_DIR}${file}`, import.meta.url), 'utf8')
      for (const match of code.matchAll(/^import .* from '\.\/(?:chat\/)?([\w.]+)'$/gm)) {
        imported.add(match[1] as string)
      }
    }
    expect([...imported].sort()).toStrictEqual([...CHAT_MODULES])
  })

  it('serves the scripts, stylesheets and icon with their types, all under 50 KB together', async () => {
    let total = 0
    for (const [path, type] of [
      ['/', /^text\/html/],
      ['/chat.js', /^text\/javascript/],
      ...CHAT_MODULES.map((file) => [`/chat/${file}`, /^text\/javascript/] as const),
      ['/format.js', /^text\/javascript/],
      ['/limits.js', /^text\/javascript/],
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

  it("serves /limits.js with src/validation.ts's limits and rules, loaded before chat.js", async () => {
    const response = await fetch(`${base()}/limits.js`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'")
    const page = createContext({})
    runInContext(await response.text(), page)
    const served = page.chatdbLimits
    expect({ ...served.lengths }).toStrictEqual({
      roomName: limits.roomName,
      userName: limits.userName,
      message: limits.message,
    })
    expect(served.delimiter).toBe(DELIMITER)
    expect([served.control.source, served.control.flags]).toStrictEqual([CONTROL.source, CONTROL.flags])
    expect([served.messageControl.source, served.messageControl.flags]).toStrictEqual([
      MESSAGE_CONTROL.source,
      MESSAGE_CONTROL.flags,
    ])
    const html = await (await fetch(`${base()}/`)).text()
    expect(html.indexOf('<script src="/limits.js"')).toBeGreaterThan(-1)
    expect(html.indexOf('<script src="/limits.js"')).toBeLessThan(html.indexOf('<script src="/chat.js"'))
  })

  it('keeps no copy of the limits in chat.js or its modules', () => {
    const code = ['../chat.js', ...CHAT_MODULES]
      .map((file) => readFileSync(new URL(`${CHAT_DIR}${file}`, import.meta.url), 'utf8'))
      .join('\n')
      .split('\n')
      .filter((line) => !line.trim().startsWith('//'))
      .join('\n')
    expect(code).toContain('globalThis.chatdbLimits')
    for (const limit of [limits.roomName, limits.userName, limits.message])
      expect(code, String(limit)).not.toMatch(new RegExp(`\\b${limit}\\b`))
    expect(code).not.toContain('\\p{Cc}')
    expect(code).not.toContain("'|'")
  })

  it('answers unknown paths and other methods with 404', async () => {
    expect((await fetch(`${base()}/nope`)).status).toBe(404)
    expect((await fetch(`${base()}/web/chat.js`)).status).toBe(404)
    expect((await fetch(`${base()}/chat/`)).status).toBe(404)
    expect((await fetch(`${base()}/chat/missing.js`)).status).toBe(404)
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
