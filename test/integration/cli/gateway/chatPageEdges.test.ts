import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { createDocumentClient } from '../../../../src/client.js'
import { type DynamoProxy, startDynamoProxy } from '../../../support/dynamoProxy.js'
import { connected, logText, members, say, useGatewayPages } from '../../../support/gatewayPages.js'

// The chat page (and the operator view's times) at the edges of what users type and do: the
// longest valid names at desktop and phone widths, bidi overrides in names, whitespace-only
// messages, a join that fails, a message typed while the gateway is down, and old messages.
let proxy: DynamoProxy

// The longest valid names, without a space to break at: 100 and 50 code points.
const LONG_ROOM = `a-room-with-the-longest-name-the-protocol-allows-${'r'.repeat(100)}`.slice(0, 100)
const LONG_USER = `Bartholomew-Fitzwilliam-Montgomery-${'x'.repeat(50)}`.slice(0, 50)
const LONG_PEER = `Maximiliane-Konstantinopoulou-Worthington-${'y'.repeat(50)}`.slice(0, 50)
/** A room whose every DynamoDB request fails: its subscribe answers an error frame. */
const DOOMED = 'doomed-room'

// Every request goes through a proxy that fails those naming DOOMED (not retryable).
const pages = useGatewayPages({
  skipped: 'chat page browser tests',
  setUp: async () => {
    proxy = await startDynamoProxy((_operation, body) =>
      JSON.stringify(body).includes(DOOMED) ? { fail: 'ValidationException' } : { forward: body },
    )
  },
  gateway: () => ({
    documentClient: createDocumentClient({ endpoint: proxy.endpoint, region: 'local', maxAttempts: 1 }),
  }),
  tearDown: async () => {
    await proxy?.close()
  },
})
const { outside, errors, table: t } = pages

async function person(name: string, viewport = { width: 1280, height: 800 }): Promise<Page> {
  const page = await pages.person(name)
  await page.setViewportSize(viewport)
  await connected(page)
  return page
}

const roomInput = (page: Page) => page.getByLabel('Room', { exact: true })
const alerts = (page: Page) => page.getByRole('alert').textContent()

async function join(page: Page, room: string, shown = room) {
  await roomInput(page).fill(room)
  await page.getByRole('button', { name: 'Join' }).click()
  await page.locator('#room-title').getByText(shown, { exact: true }).waitFor()
}

/** The little of the DOM the checks below use in the page (the project's TypeScript has no DOM library). */
interface Box {
  left: number
  right: number
  top: number
  bottom: number
  width: number
}
interface PageElement {
  textContent: string | null
  title: string
  scrollWidth: number
  clientWidth: number
  getBoundingClientRect(): Box
  closest(selector: string): PageElement | null
}
interface PageWindow {
  innerWidth: number
  document: {
    documentElement: PageElement
    querySelector(selector: string): PageElement | null
    querySelectorAll(selector: string): Iterable<PageElement>
  }
  getComputedStyle(element: PageElement): { overflowX: string; textOverflow: string; unicodeBidi: string }
}

/**
 * What sticks out: the page scrolling sideways, a name's element whose text overflows its box
 * without being clipped (an ellipsis, with the full name in its title), an element beyond its
 * column or the viewport, and the log overlapping the members.
 */
function overflows(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const { document, innerWidth, getComputedStyle } = globalThis as unknown as PageWindow
    const found: string[] = []
    const root = document.documentElement
    if (root.scrollWidth > innerWidth) found.push(`page ${root.scrollWidth} > ${innerWidth}`)
    const columns = ['nav', 'main', 'aside', '#log']
    for (const selector of ['#rooms button', '#joined button', '#room-title', '#members li', '#log p']) {
      for (const element of document.querySelectorAll(selector)) {
        const box = element.getBoundingClientRect()
        const what = `${selector} "${element.textContent?.slice(0, 20)}…"`
        const style = getComputedStyle(element)
        const clipped = style.overflowX !== 'visible' && style.textOverflow === 'ellipsis'
        if (element.scrollWidth > element.clientWidth + 1 && !clipped) {
          found.push(`${what} text ${element.scrollWidth} wide in ${element.clientWidth}`)
        }
        if (clipped && element.scrollWidth > element.clientWidth + 1 && !element.title) {
          found.push(`${what} cut without a title`)
        }
        if (box.left < 0 || box.right > innerWidth + 1) {
          found.push(`${what} at ${box.left}..${box.right} of ${innerWidth}`)
        }
        const column = columns
          .map((c) => element.closest(c))
          .filter((c) => c && c !== element)
          .pop()
        const outer = column?.getBoundingClientRect()
        if (outer && (box.left < outer.left - 1 || box.right > outer.right + 1)) {
          found.push(`${what} at ${box.left}..${box.right} outside its column ${outer.left}..${outer.right}`)
        }
      }
    }
    const log = document.querySelector('#log')?.getBoundingClientRect()
    const aside = document.querySelector('aside')?.getBoundingClientRect()
    if (log && aside) {
      const across = Math.min(log.right, aside.right) - Math.max(log.left, aside.left)
      const down = Math.min(log.bottom, aside.bottom) - Math.max(log.top, aside.top)
      if (across > 0 && down > 0) found.push('the log overlaps the members')
    }
    return found
  })
}

const logWidth = (page: Page) =>
  page.evaluate(
    () =>
      (globalThis as unknown as PageWindow).document.querySelector('#log')?.getBoundingClientRect().width ??
      0,
  )

describe.skipIf(!pages.executablePath)('the chat page at the edges', () => {
  describe('the longest valid names', () => {
    it('fit the room list, the title, the members and the log at desktop width', async () => {
      const peer = await person(LONG_PEER)
      await join(peer, LONG_ROOM)
      const page = await person(LONG_USER)
      await page
        .getByRole('list', { name: 'Rooms', exact: true })
        .getByRole('button', { name: LONG_ROOM })
        .waitFor()
      await join(page, LONG_ROOM)
      await expect.poll(() => members(page), { timeout: 10_000 }).toEqual([LONG_USER, LONG_PEER].sort())
      await say(page, `hello from ${LONG_USER}`)
      await expect.poll(() => logText(peer), { timeout: 10_000 }).toContain(`hello from ${LONG_USER}`)
      expect(await overflows(page)).toEqual([])
      expect(await overflows(peer)).toEqual([])
      // A name cut short says all of itself on hover.
      const listed = page
        .getByRole('list', { name: 'Rooms', exact: true })
        .getByRole('button', { name: LONG_ROOM })
      expect(await listed.getAttribute('title')).toBe(LONG_ROOM)
      await page.close()
      await peer.close()
    })

    it('fit a 390 px wide phone: no sideways scrolling, and a log wide enough to read', async () => {
      const page = await person(LONG_USER, { width: 390, height: 844 })
      await join(page, LONG_ROOM)
      await expect.poll(() => members(page), { timeout: 10_000 }).toContain(LONG_USER)
      await say(page, 'a message that should wrap inside a log wide enough to be read on a phone')
      await expect.poll(() => logText(page), { timeout: 10_000 }).toContain('wide enough to be read')
      expect(await overflows(page)).toEqual([])
      expect(await logWidth(page)).toBeGreaterThan(250)
      await page.close()
    })
  })

  it('shows bidi controls in names escaped, as the CLI does, and isolates names from the text around them', async () => {
    const trojan = 'ada\u202Enimda'
    const room = 'room\u2067x'
    const page = await person(trojan)
    await join(page, room, 'room\\u2067x')
    await expect.poll(() => members(page), { timeout: 10_000 }).toEqual(['ada\\u202enimda'])
    await say(page, 'hi')
    await expect.poll(() => logText(page), { timeout: 10_000 }).toContain('ada\\u202enimda:')
    expect(await page.getByRole('list', { name: 'Joined rooms' }).textContent()).toBe('room\\u2067x')
    const isolated = await page.evaluate(() => {
      const { document, getComputedStyle } = globalThis as unknown as PageWindow
      const names = document.querySelectorAll(
        '#log .who, #log .text, #members li, #room-title, #joined button',
      )
      return [...names].map((element) => getComputedStyle(element).unicodeBidi)
    })
    expect(isolated.length).toBeGreaterThan(4)
    expect(new Set(isolated)).toEqual(new Set(['isolate']))
    await page.close()
  })

  it('refuses a message of only whitespace with the server’s words, and sends nothing', async () => {
    const page = await person('blank')
    await join(page, 'blank-room')
    await say(page, ' \t  ')
    await page.getByLabel('Message', { exact: true }).press('Enter')
    await expect.poll(() => alerts(page), { timeout: 5_000 }).toContain('message must not be only whitespace')
    await say(page, ' fine ')
    await expect.poll(() => logText(page), { timeout: 10_000 }).toContain('blank: fine')
    // Only the second reached the table.
    const stored = await t.repository().recentMessages('blank-room')
    expect(stored.map((m) => m.message)).toEqual([' fine '])
    await page.close()
  })

  it('keeps a typed room name when the join fails, and clears it once joined', async () => {
    const page = await person('hopeful')
    await roomInput(page).fill(DOOMED)
    await page.getByRole('button', { name: 'Join' }).click()
    await expect.poll(() => alerts(page), { timeout: 10_000 }).toMatch(/Error \d+ \(subscribe\)/)
    expect(await roomInput(page).inputValue()).toBe(DOOMED)
    expect(await page.locator('#room-view').isHidden()).toBe(true)
    await join(page, 'hopeful-room')
    expect(await roomInput(page).inputValue()).toBe('')
    await page.close()
  })

  it('while the gateway is down, keeps a typed room name and sends a typed message once back', async () => {
    const ada = await person('ada')
    const bob = await person('bob')
    await join(ada, 'lobby')
    await join(bob, 'lobby')
    await expect.poll(() => members(ada), { timeout: 10_000 }).toEqual(['ada', 'bob'])
    await pages.restart([ada, bob], async () => {
      await expect
        .poll(() => ada.getByRole('status').textContent(), { timeout: 10_000 })
        .not.toBe('connected')
      await roomInput(ada).fill('later-room')
      await ada.getByRole('button', { name: 'Join' }).click()
      await say(ada, 'typed while the gateway was down')
      // Not lost: shown in the log as waiting, out of the input.
      await expect
        .poll(() => ada.locator('#log .pending').textContent(), { timeout: 5_000 })
        .toContain('typed while the gateway was down')
      expect(await roomInput(ada).inputValue()).toBe('later-room')
    })
    await expect
      .poll(() => logText(bob), { timeout: 15_000 })
      .toMatch(/ada:\s*typed while the gateway was down/)
    await expect.poll(() => ada.locator('#log .pending').count(), { timeout: 10_000 }).toBe(0)
    await expect
      .poll(async () => (await logText(ada))?.match(/typed while the gateway was down/g)?.length, {
        timeout: 10_000,
      })
      .toBe(1)
    await ada.close()
    await bob.close()
  })

  it('shows the date beside the time of a message from another day, in the page and the operator view', async () => {
    // A message from over a year ago (so another year, whatever today is), and one from now.
    const then = Date.now() - 400 * 86_400_000
    const year = String(new Date(then).getFullYear())
    const old = t.repository({ now: () => then })
    await old.subscribe({ roomName: 'history', connectionId: 'elder1=', userName: 'elder' })
    await old.postMessage({ roomName: 'history', connectionId: 'elder1=', message: 'from long ago' })
    await old.unsubscribe({ roomName: 'history', connectionId: 'elder1=' })
    const page = await person('reader')
    await join(page, 'history')
    await say(page, 'from today')
    await expect.poll(() => logText(page), { timeout: 10_000 }).toContain('from today')
    const metas = await page.locator('#log .meta').allTextContents()
    expect(metas).toHaveLength(2)
    expect(metas[0]).toContain(year)
    expect(metas[1]).toMatch(/^\d\d:\d\d:\d\d/)
    expect(metas[1]).not.toContain(String(new Date().getFullYear()))

    const operator = await pages.open('operator', '/inspect')
    await operator.getByRole('table', { name: 'Rooms' }).getByRole('button', { name: 'history' }).click()
    const latest = operator.getByRole('list', { name: 'Latest messages' }).getByRole('listitem')
    await expect.poll(() => latest.allTextContents(), { timeout: 10_000 }).toHaveLength(2)
    const times = await operator.locator('#messages .time').allTextContents()
    expect(times.filter((text) => text.includes(year))).toHaveLength(1)
    await page.close()
    await operator.close()
  })

  it('sent nothing beyond 127.0.0.1 and logged no errors', () => {
    expect(outside).toEqual([])
    expect(errors).toEqual([])
  })
})
