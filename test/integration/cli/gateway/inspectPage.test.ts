import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Gateway, startGateway } from '../../../../cli/gateway/startGateway.js'
import { CHROMIUM_INSTALL, findChromium, openLoopbackPage } from '../../../support/chromium.js'
import { useTestTable } from '../../../support/dynamo.js'

// The operator view in a real browser, against the real gateway and handlers on dynalite:
// two people join a room on the chat page, and /inspect shows the room with both of them.
const executablePath = findChromium()
if (!executablePath) console.warn(`operator view browser test skipped: no Chromium. ${CHROMIUM_INSTALL}`)

const t = useTestTable()
let gateway: Gateway
let port: number
let browser: Browser
/** Requests to anywhere but the gateway, and page/console errors: each must stay empty. */
const outside: string[] = []
const errors: string[] = []

function open(name: string, path: string): Promise<Page> {
  return openLoopbackPage(browser, name, `http://127.0.0.1:${port}${path}`, { outside, errors })
}

async function joins(name: string, room: string) {
  const page = await open(name, '/')
  await page.getByLabel('Name', { exact: true }).fill(name)
  await page.getByLabel('Room', { exact: true }).fill(room)
  await page.getByRole('button', { name: 'Join' }).click()
  await page.getByRole('heading', { name: room, exact: true }).waitFor()
  return page
}

describe.skipIf(!executablePath)('the operator view in Chromium', () => {
  beforeAll(async () => {
    gateway = await startGateway({ port: 0, documentClient: t.documentClient, tableName: t.tableName })
    port = Number(new URL(gateway.url).port)
    browser = await chromium.launch({ executablePath })
  })
  afterAll(async () => {
    await browser?.close()
    await gateway?.close()
  })

  it('lists a room two people joined; clicking it shows both members, with no errors and nothing beyond 127.0.0.1', async () => {
    await joins('ada', 'ops-room')
    await joins('bob', 'ops-room')
    const operator = await open('operator', '/inspect')
    const rooms = operator.getByRole('table', { name: 'Rooms' })
    const room = rooms.getByRole('button', { name: 'ops-room', exact: true })
    await room.waitFor()
    // The row's chart is an inline SVG built by the page.
    expect(await rooms.locator('svg').count()).toBeGreaterThan(0)
    await room.click()
    const members = operator.getByRole('list', { name: 'Members' }).getByRole('listitem')
    await expect.poll(() => members.allTextContents(), { timeout: 10_000 }).toEqual(['ada', 'bob'])
    expect(outside).toEqual([])
    expect(errors).toEqual([])
  })

  it('shows a large room’s shards and counted subscribers, and how many members the sample leaves out', async () => {
    const repository = t.repository({ largeRoomThreshold: 3, largeRoomShards: 2 })
    for (let i = 0; i < 7; i++) {
      await repository.subscribe({ roomName: 'big-room', connectionId: `big${i}=`, userName: `fan${i}` })
    }
    const operator = await open('operator-large', '/inspect')
    const row = operator
      .getByRole('table', { name: 'Rooms' })
      .getByRole('row')
      .filter({ hasText: 'big-room' })
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toContain('≈7')
    await row.getByRole('button', { name: 'big-room', exact: true }).click()
    await expect
      .poll(() => operator.locator('#room-layout').textContent(), { timeout: 10_000 })
      .toContain('Large room: 2 shards, ≈7 subscribers')
    const members = operator.getByRole('list', { name: 'Members' }).getByRole('listitem')
    // The sample is the base partition's 3 members; the 4 in shards are counted, not listed.
    await expect.poll(() => members.allTextContents(), { timeout: 10_000 }).toEqual(['fan0', 'fan1', 'fan2'])
    expect(await operator.locator('#members-omitted').textContent()).toBe('… and 4 more subscriptions')
    expect(errors).toEqual([])
  })
})
