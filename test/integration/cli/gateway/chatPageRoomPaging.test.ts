import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Gateway, startGateway } from '../../../../cli/gateway/startGateway.js'
import { mapWithConcurrency } from '../../../../src/util/concurrency.js'
import { CHROMIUM_INSTALL, findChromium, openLoopbackPage } from '../../../support/chromium.js'
import { useTestTable } from '../../../support/dynamo.js'

// More rooms than one listRooms page (1,000): the chat page follows `nextCursor` to list them all.
const executablePath = findChromium()
if (!executablePath) console.warn(`chat page browser tests skipped: no Chromium. ${CHROMIUM_INSTALL}`)

const ROOMS = 1_050
const t = useTestTable()
let gateway: Gateway
let browser: Browser
const outside: string[] = []
const errors: string[] = []

describe.skipIf(!executablePath)('the chat page with more rooms than a listRooms page', () => {
  beforeAll(async () => {
    // Each room active through one subscription of a connection the gateway does not hold.
    const repository = t.repository()
    const names = Array.from({ length: ROOMS }, (_, i) => `room-${String(i).padStart(4, '0')}`)
    await mapWithConcurrency(names, 16, (roomName, i) =>
      repository.subscribe({ roomName, connectionId: `seed${i}=`, userName: 'seed' }),
    )
    gateway = await startGateway({ port: 0, documentClient: t.documentClient, tableName: t.tableName })
    browser = await chromium.launch({ executablePath })
  }, 120_000)
  afterAll(async () => {
    await browser?.close()
    await gateway?.close()
  })

  it('lists every room, page after page, in creation order', async () => {
    const page = await openLoopbackPage(browser, 'pager', gateway.url.replace(/^ws/, 'http'), {
      outside,
      errors,
    })
    const rooms = () => page.getByRole('list', { name: 'Rooms' }).getByRole('listitem').allTextContents()
    await expect.poll(async () => (await rooms()).length, { timeout: 20_000 }).toBe(ROOMS)
    // Seeded 16 at a time, so creation order is not name order: the listing's own order is.
    const created = (await t.repository().activeRooms()).map((room) => room.roomName)
    expect((await rooms()).map((text) => text.trim())).toEqual(created)
    expect(outside).toEqual([])
    expect(errors).toEqual([])
  }, 60_000)
})
