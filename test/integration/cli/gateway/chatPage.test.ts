import type { Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { join as joinRoom, logText, members, say, useGatewayPages } from '../../../support/gatewayPages.js'

// The chat page in a real browser, against the real gateway and handlers on dynalite.
const pages = useGatewayPages({ skipped: 'chat page browser tests' })
const { outside, errors } = pages

async function join(page: Page, room: string) {
  await joinRoom(page, room)
  await expect.poll(() => members(page), { timeout: 10_000 }).not.toEqual([])
}

describe.skipIf(!pages.executablePath)('the chat page in Chromium', () => {
  let ada: Page
  let bob: Page
  let carol: Page

  beforeAll(async () => {
    ada = await pages.person('ada')
    bob = await pages.person('bob')
  })

  it('lets two people in one room exchange messages both ways', async () => {
    await join(ada, 'lobby')
    await join(bob, 'lobby')
    await expect.poll(() => members(ada), { timeout: 10_000 }).toEqual(['ada', 'bob'])
    expect(await members(bob)).toEqual(['ada', 'bob'])

    await say(ada, 'hi bob', { enter: true })
    await expect.poll(() => logText(bob), { timeout: 10_000 }).toMatch(/ada:\s*hi bob/)
    await say(bob, 'hi ada')
    await expect.poll(() => logText(ada), { timeout: 10_000 }).toMatch(/bob:\s*hi ada/)
    expect(await ada.getByLabel('Message', { exact: true }).inputValue()).toBe('')
  })

  it('shows a third person the room in the Rooms list; clicking it joins with the history', async () => {
    carol = await pages.person('carol')
    const rooms = carol.getByRole('list', { name: 'Rooms' })
    await rooms.getByRole('button', { name: 'lobby' }).click()
    await expect.poll(() => members(carol), { timeout: 10_000 }).toEqual(['ada', 'bob', 'carol'])
    expect(await logText(carol)).toMatch(/ada:\s*hi bob[\s\S]*bob:\s*hi ada/)
    await expect.poll(() => members(ada), { timeout: 10_000 }).toEqual(['ada', 'bob', 'carol'])
  })

  it('shows an HTML-injection message as text and runs nothing', async () => {
    const evil = '<img src=x onerror="window.pwned=1"><b id="bold">x</b>'
    await say(ada, evil)
    await expect.poll(() => logText(carol), { timeout: 10_000 }).toContain(evil)
    for (const page of [ada, bob, carol]) {
      expect(await page.getByRole('log').locator('img, b').count()).toBe(0)
      expect(await page.evaluate(() => 'pwned' in globalThis)).toBe(false)
    }
  })

  it('refuses what the server would refuse, with its words, before sending', async () => {
    await carol.getByLabel('Name', { exact: true }).fill('x'.repeat(51))
    await carol.getByLabel('Room', { exact: true }).fill('elsewhere')
    await carol.getByRole('button', { name: 'Join' }).click()
    await expect
      .poll(() => carol.getByRole('alert').textContent(), { timeout: 5_000 })
      .toContain('userName must be at most 50 characters (got 51)')
    await carol.getByLabel('Name', { exact: true }).fill('carol')
  })

  it('keeps several rooms at once', async () => {
    await join(ada, 'side')
    const joined = ada.getByRole('list', { name: 'Joined rooms' })
    expect(await joined.getByRole('listitem').allTextContents()).toEqual(['lobby', 'side'])
    expect(await members(ada)).toEqual(['ada'])
    await joined.getByRole('button', { name: 'lobby' }).click()
    await expect.poll(() => members(ada)).toEqual(['ada', 'bob', 'carol'])
  })

  it('removes a leaver from the others’ Members list', async () => {
    await carol.getByRole('button', { name: 'Leave' }).click()
    await expect.poll(() => members(ada), { timeout: 10_000 }).toEqual(['ada', 'bob'])
    await expect.poll(() => members(bob), { timeout: 10_000 }).toEqual(['ada', 'bob'])
  })

  it('reconnects after the gateway restarts on the same port and rejoins its rooms', async () => {
    await pages.restart([ada, bob])
    // Both are back in lobby (the old gateway's close removed every subscription).
    await expect.poll(() => members(bob), { timeout: 10_000 }).toEqual(['ada', 'bob'])
    await say(bob, 'back again')
    await expect.poll(() => logText(ada), { timeout: 10_000 }).toMatch(/bob:\s*back again/)
  })

  it('sent nothing beyond 127.0.0.1 and logged no errors', () => {
    expect(outside).toEqual([])
    expect(errors).toEqual([])
  })
})
