// The chat page with a short conversation, as docs/chat-page.png (shown in the README).
// `npm run build && npm run screenshot`: runs `chatdb dev` on a fresh embedded dynalite in a
// temporary directory and a free port, drives two pages in the Debian Chromium (or CHROMIUM_PATH)
// and stops everything again. Nothing leaves 127.0.0.1.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium } from 'playwright-core'

const root = resolve(import.meta.dirname, '..')
const out = join(root, 'docs/chat-page.png')
const executablePath = [
  process.env.CHROMIUM_PATH,
  '/usr/bin/chromium',
  '/usr/lib/chromium/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
].find((path) => path && existsSync(path))
if (!executablePath) {
  console.error('no Chromium: apt-get install -y --no-install-recommends chromium (or set CHROMIUM_PATH)')
  process.exit(1)
}

const dir = mkdtempSync(join(tmpdir(), 'chatdb-screenshot-'))
const dev = spawn(
  process.execPath,
  [join(root, 'dist/cli/main.js'), 'dev', '--port', '0', `--local=${join(dir, 'db')}`, '--json'],
  { cwd: dir, env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } },
)
let browser
try {
  const ready = await new Promise((done, fail) => {
    let stdout = ''
    dev.stdout.on('data', (chunk) => {
      stdout += chunk
      try {
        done(JSON.parse(stdout))
      } catch {
        // not a whole document yet
      }
    })
    dev.on('exit', (code) => fail(new Error(`chatdb dev exited with ${code} before it was ready`)))
  })
  const url = ready.url.replace(/^ws:/, 'http:')
  browser = await chromium.launch({ executablePath })

  /** A page of `name`, joined to `general`. */
  async function person(name, viewport) {
    const page = await browser.newPage({ viewport })
    await page.route(/^(?!https?:\/\/127\.0\.0\.1[:/]|ws:\/\/127\.0\.0\.1[:/])/, (route) => route.abort())
    await page.goto(url)
    await page.getByLabel('Name').fill(name)
    await page.getByRole('textbox', { name: 'Room' }).fill('general')
    await page.getByRole('button', { name: 'Join' }).click()
    await page.getByRole('list', { name: 'Members' }).getByText(name, { exact: true }).waitFor()
    return page
  }
  async function say(page, message) {
    await page.getByLabel('Message').fill(message)
    await page.getByLabel('Message').press('Enter')
    await page.getByRole('log').getByText(message).last().waitFor()
  }

  const ada = await person('ada', { width: 1100, height: 640 })
  const zed = await person('zed', { width: 800, height: 600 })
  await say(zed, 'hi all, trying the local chat page')
  await say(ada, 'welcome! messages go through the same Lambda handlers as in AWS')
  await say(zed, 'it rejoins its rooms by itself when the gateway restarts')
  await ada.getByRole('log').getByText('it rejoins its rooms by itself when the gateway restarts').waitFor()
  await ada.screenshot({ path: out })
  console.log(`wrote ${out}`)
} finally {
  await browser?.close()
  dev.kill('SIGINT')
  await new Promise((done) => (dev.exitCode === null ? dev.on('exit', done) : done()))
  rmSync(dir, { recursive: true, force: true })
}
