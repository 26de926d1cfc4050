import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { useGatewayPages } from '../../../support/gatewayPages.js'
import { connectClient } from '../../../support/wsClient.js'

// The chat page after API Gateway's idle timeout (scaled from 10 minutes to 2 seconds) closes its
// connection with 1001: it reconnects, rejoins every room it was in, and hears what is said next.
const IDLE_TIMEOUT_MS = 2_000
const pages = useGatewayPages({
  skipped: 'chat page browser tests',
  gateway: () => ({ idleTimeoutMs: IDLE_TIMEOUT_MS, maxConnectionAgeMs: Number.POSITIVE_INFINITY }),
})
const { outside, errors, table: t } = pages

const status = (page: Page) => page.getByRole('status').textContent()
const joinedRooms = (page: Page) =>
  page.getByRole('list', { name: 'Joined rooms' }).getByRole('button').allTextContents()
const membersOf = async (roomName: string) =>
  (await t.repository().connectionsInRoom(roomName)).map((s) => s.userName).sort()

async function join(page: Page, roomName: string) {
  await page.getByLabel('Room', { exact: true }).fill(roomName)
  await page.getByRole('button', { name: 'Join' }).click()
  await page.locator('#room-title').getByText(roomName, { exact: true }).waitFor()
}

/** Another client says `message` in `roomName` (a connection of its own, quick enough never to idle). */
async function say(roomName: string, message: string) {
  const peer = await connectClient(pages.gateway.url)
  peer.send({ action: 'subscribe', roomName, userName: 'quinn' })
  await peer.next('subscribed')
  peer.send({ action: 'sendMessage', roomName, message })
  await peer.next('newMessage')
  await peer.close()
}

describe.skipIf(!pages.executablePath)('the chat page after an idle timeout', () => {
  it('reconnects after the 1001 close, is back in both rooms with their history, and hears a later message', async () => {
    const page = await pages.person('pia')
    await expect.poll(() => status(page), { timeout: 15_000 }).toBe('connected')
    await join(page, 'alpha')
    await page.getByLabel('Message', { exact: true }).fill('before the timeout')
    await page.getByRole('button', { name: 'Send' }).click()
    await page.getByRole('log').getByText('before the timeout').waitFor()
    await join(page, 'beta')
    expect(await joinedRooms(page)).toEqual(['alpha', 'beta'])

    // The page sends nothing between its room-list refreshes (every 5 s): the gateway closes it.
    await expect
      .poll(() => pages.gateway.stats().idleClosedConnections, { timeout: 15_000 })
      .toBeGreaterThan(0)
    // Back: connected, in both rooms on the server (a new connection's subscriptions) and on the page.
    await expect.poll(() => status(page), { timeout: 15_000 }).toBe('connected')
    await expect.poll(() => membersOf('alpha'), { timeout: 15_000 }).toEqual(['pia'])
    await expect.poll(() => membersOf('beta'), { timeout: 15_000 }).toEqual(['pia'])
    expect(await joinedRooms(page)).toEqual(['alpha', 'beta'])

    // Said after the close, in the room shown (beta), then in the other one.
    await say('beta', 'after the timeout, in beta')
    await page.getByRole('log').getByText('after the timeout, in beta').waitFor({ timeout: 15_000 })
    await say('alpha', 'after the timeout, in alpha')
    await page.getByRole('list', { name: 'Joined rooms' }).getByRole('button', { name: 'alpha' }).click()
    await page.getByRole('log').getByText('after the timeout, in alpha').waitFor({ timeout: 15_000 })
    // The history from before the close came back with the rejoin.
    expect(await page.getByRole('log').textContent()).toContain('before the timeout')
    expect(outside).toEqual([])
    expect(errors).toEqual([])
  })
})
