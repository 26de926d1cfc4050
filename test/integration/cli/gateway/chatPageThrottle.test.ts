import { describe, expect, it } from 'vitest'
import { useGatewayPages } from '../../../support/gatewayPages.js'

// The chat page under API Gateway's route throttle (scaled from 1,000/s to one message per
// minute): a message over it is answered by the gateway, not the router, with a frame without
// `type`; the page says it was not delivered instead of dropping it silently.
const pages = useGatewayPages({
  skipped: 'chat page browser tests',
  gateway: () => ({ stageThrottle: { rate: 1 / 60, burst: 1 } }),
})
const { errors, table: t } = pages

describe.skipIf(!pages.executablePath)('the chat page over the route throttle', () => {
  it('tells the user a throttled message was not delivered', async () => {
    const page = await pages.person('pia')
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: 15_000 }).toBe('connected')
    await page.getByLabel('Room', { exact: true }).fill('alpha')
    await page.getByRole('button', { name: 'Join' }).click()
    await page.locator('#room-title').getByText('alpha', { exact: true }).waitFor()

    const say = async (text: string) => {
      await page.getByLabel('Message', { exact: true }).fill(text)
      await page.getByRole('button', { name: 'Send' }).click()
    }
    await say('first, within the burst')
    await page.getByRole('log').getByText('first, within the burst').waitFor()
    await say('second, over the limit')
    await page
      .getByText('the server is busy (Too Many Requests)', { exact: false })
      // The page's room-list refresh (every 5 s) may be throttled too on a slow machine.
      .first()
      .waitFor({ timeout: 15_000 })
    expect(pages.gateway.stats().throttled).toMatchObject({ routes: { sendMessage: 1 } })
    expect((await t.repository().recentMessages('alpha')).map((m) => m.message)).toEqual([
      'first, within the burst',
    ])
    expect(errors).toEqual([])
  })
})
