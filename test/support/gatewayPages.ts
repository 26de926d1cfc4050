import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, expect } from 'vitest'
import { type Gateway, type GatewayOptions, startGateway } from '../../cli/gateway/startGateway.js'
import { CHROMIUM_INSTALL, findChromium, openLoopbackPage } from './chromium.js'
import { type TestTable, useTestTable } from './dynamo.js'

export interface GatewayPagesOptions {
  /** What is skipped without a Chromium, for the warning: `chat page browser tests`. */
  skipped: string
  /** The gateway's options besides its port and table, read at each start (after `setUp`). */
  gateway?: (table: TestTable) => Partial<GatewayOptions>
  /** Work before the gateway first starts (a proxy, seeded rooms), with its own timeout. */
  setUp?: () => Promise<void>
  setUpTimeout?: number
  /** Work after the browser and the gateway closed. */
  tearDown?: () => Promise<void>
}

/** A test file's gateway on dynalite and the Chromium that opens its pages (see `useGatewayPages`). */
export interface GatewayPages {
  /** The browser, or undefined when there is none: `describe.skipIf(!pages.executablePath)`. */
  readonly executablePath: string | undefined
  /** The file's table, which the gateway serves. */
  readonly table: TestTable
  readonly gateway: Gateway
  readonly browser: Browser
  /** Requests to anywhere but the gateway, and page or console errors: each must stay empty. */
  readonly outside: string[]
  readonly errors: string[]
  /** A page of its own browser context, named `name` in `errors`, opened at the gateway's `path`. */
  open(name: string, path?: string): Promise<Page>
  /** The chat page opened for `name`: its Name field filled. */
  person(name: string): Promise<Page>
  /**
   * Closes the gateway, runs `whileDown`, starts it again on the same port and waits until each of
   * `pages` says it is connected. The reconnects the browser logs as refused meanwhile are expected.
   */
  restart(pages: readonly Page[], whileDown?: () => Promise<void>): Promise<void>
}

/** Waits (up to 15 s) until the chat page's status says it is connected. */
export const connected = (page: Page) =>
  expect.poll(() => page.getByRole('status').textContent(), { timeout: 15_000 }).toBe('connected')

/** The chat page's Members list. */
export const members = (page: Page) =>
  page.getByRole('list', { name: 'Members' }).getByRole('listitem').allTextContents()

/** The chat page's log, as text. */
export const logText = (page: Page) => page.getByRole('log').textContent()

/** Joins `room` from the chat page's Room field, and waits until the room's view shows (its `subscribed` arrived). */
export async function join(page: Page, room: string) {
  await page.getByLabel('Room', { exact: true }).fill(room)
  await page.getByRole('button', { name: 'Join' }).click()
  await page.getByRole('heading', { name: room, exact: true }).waitFor()
}

/** Types `text` into the chat page's Message field and sends it with the button (or Enter). */
export async function say(page: Page, text: string, { enter = false } = {}) {
  await page.getByLabel('Message', { exact: true }).fill(text)
  if (enter) await page.getByLabel('Message', { exact: true }).press('Enter')
  else await page.getByRole('button', { name: 'Send' }).click()
}

/**
 * The browser tests' preamble: a table for the file, the real gateway and handlers on it, and a
 * headless Chromium whose pages may reach 127.0.0.1 only, with their errors recorded. Started in
 * `beforeAll` (nothing without a Chromium, which REQUIRE_BROWSER=1 makes a failure) and closed in
 * `afterAll`; read the fields inside tests and hooks.
 *
 * @example
 * const pages = useGatewayPages({ skipped: 'chat page browser tests' })
 * describe.skipIf(!pages.executablePath)('the chat page', () => {
 *   it('opens', async () => { await connected(await pages.open('ada')) })
 * })
 */
export function useGatewayPages(options: GatewayPagesOptions): GatewayPages {
  const executablePath = findChromium()
  if (!executablePath) console.warn(`${options.skipped} skipped: no Chromium. ${CHROMIUM_INSTALL}`)
  const table = useTestTable()
  let gateway: Gateway | undefined
  let browser: Browser | undefined
  let port = 0
  let restarting = false
  const outside: string[] = []
  const errors: string[] = []

  const start = async () => {
    const started = await startGateway({
      port,
      documentClient: table.documentClient,
      tableName: table.tableName,
      ...options.gateway?.(table),
    })
    port = Number(new URL(started.url).port)
    return started
  }
  const running = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`no ${what}: read it inside a test or hook`)
    return value
  }

  const open = (name: string, path = '/') => {
    const base = running(gateway, 'gateway').managementEndpoint
    return openLoopbackPage(running(browser, 'browser'), name, `${base}${path}`, {
      outside,
      errors,
      expected: (text) => restarting && /WebSocket connection to .* failed/.test(text),
    })
  }

  beforeAll(async () => {
    if (!executablePath) return
    await options.setUp?.()
    gateway = await start()
    browser = await chromium.launch({ executablePath })
  }, options.setUpTimeout)
  afterAll(async () => {
    await browser?.close()
    await gateway?.close()
    await options.tearDown?.()
  })

  return {
    executablePath,
    table,
    get gateway() {
      return running(gateway, 'gateway')
    },
    get browser() {
      return running(browser, 'browser')
    },
    outside,
    errors,
    open,
    async person(name) {
      const page = await open(name)
      await page.getByLabel('Name', { exact: true }).fill(name)
      return page
    },
    async restart(pages, whileDown) {
      restarting = true
      await running(gateway, 'gateway').close()
      await whileDown?.()
      gateway = await start()
      for (const page of pages) await connected(page)
      restarting = false
    },
  }
}
