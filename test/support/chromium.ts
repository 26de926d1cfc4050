import { existsSync } from 'node:fs'

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
