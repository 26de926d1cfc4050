import { existsSync } from 'node:fs'
import type { Browser } from 'playwright-core'

/** Where Debian, Ubuntu and Chrome put the browser; `CHROMIUM_PATH` overrides them. */
const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/lib/chromium/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
]

export const CHROMIUM_INSTALL =
  'apt-get install -y --no-install-recommends chromium (or set CHROMIUM_PATH to a Chromium or Chrome binary)'

/**
 * The Chromium the browser tests drive, or undefined when there is none. With REQUIRE_BROWSER=1
 * (CI) a missing browser throws instead, so the browser tests cannot be skipped silently there.
 */
export function findChromium(): string | undefined {
  const override = process.env.CHROMIUM_PATH
  const found = override
    ? existsSync(override)
      ? override
      : undefined
    : CANDIDATES.find((p) => existsSync(p))
  if (!found && process.env.REQUIRE_BROWSER === '1') {
    throw new Error(`REQUIRE_BROWSER=1 but no Chromium was found; install it: ${CHROMIUM_INSTALL}`)
  }
  return found
}

/** What the browser tests watch for; both lists must stay empty. */
export interface PageWatch {
  /** Requests to anywhere but 127.0.0.1 (aborted, and recorded). */
  outside: string[]
  /** Uncaught page errors and console errors, prefixed with the page's name. */
  errors: string[]
  /** Console errors that are expected at the moment (e.g. refused reconnects during a restart). */
  expected?: (text: string) => boolean
}

/**
 * A page in a fresh browser context that may only reach 127.0.0.1, with its errors recorded in
 * `watch`, opened at `url`.
 */
export async function openLoopbackPage(browser: Browser, name: string, url: string, watch: PageWatch) {
  const context = await browser.newContext()
  const page = await context.newPage()
  page.setDefaultTimeout(10_000)
  await page.route('**/*', (route) => {
    const target = new URL(route.request().url())
    if (target.hostname === '127.0.0.1') return route.continue()
    watch.outside.push(target.href)
    return route.abort()
  })
  page.on('request', (request) => {
    if (new URL(request.url()).hostname !== '127.0.0.1') watch.outside.push(request.url())
  })
  page.on('pageerror', (error) => watch.errors.push(`${name}: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() !== 'error' || watch.expected?.(message.text())) return
    watch.errors.push(`${name}: ${message.text()}`)
  })
  await page.goto(url)
  return page
}
