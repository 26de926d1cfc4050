import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { openLoopbackPage } from '../../../support/chromium.js'
import { join, useGatewayPages } from '../../../support/gatewayPages.js'

// The operator view in a real browser, against the real gateway and handlers on dynalite:
// two people join a room on the chat page, and /inspect shows the room with both of them.
const pages = useGatewayPages({ skipped: 'operator view browser test' })
const { outside, errors, table: t } = pages

async function joins(name: string, room: string) {
  const page = await pages.person(name)
  await join(page, room)
  return page
}

describe.skipIf(!pages.executablePath)('the operator view in Chromium', () => {
  it('lists a room two people joined; clicking it shows both members, with no errors and nothing beyond 127.0.0.1', async () => {
    await joins('ada', 'ops-room')
    await joins('bob', 'ops-room')
    const operator = await pages.open('operator', '/inspect')
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
    const operator = await pages.open('operator-large', '/inspect')
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

  it('opens rooms and users named `.` and `..`; a member who has not posted shows "no messages", without errors', async () => {
    const repository = t.repository()
    await repository.subscribe({ roomName: '..', connectionId: 'dots-a=', userName: 'poster' })
    await repository.subscribe({ roomName: '..', connectionId: 'dots-b=', userName: '.' })
    await repository.postMessage({ roomName: '..', connectionId: 'dots-a=', message: 'hello dots' })
    const operator = await pages.open('operator-dots', '/inspect')
    await operator
      .getByRole('table', { name: 'Rooms' })
      .getByRole('button', { name: '..', exact: true })
      .click()
    await operator.getByRole('heading', { name: 'Room ..', exact: true }).waitFor()
    const members = operator.getByRole('list', { name: 'Members' })
    await expect.poll(() => members.getByRole('listitem').allTextContents()).toEqual(['.', 'poster'])
    expect(await operator.getByRole('list', { name: 'Latest messages' }).textContent()).toContain(
      'hello dots',
    )
    await members.getByRole('button', { name: '.', exact: true }).click()
    await operator.getByRole('heading', { name: 'User .', exact: true }).waitFor()
    await expect.poll(() => operator.locator('#history').textContent()).toBe('no messages')
    // Through at least one more poll: a 404 would show as a console error each time.
    await operator.waitForTimeout(3_500)
    expect(await operator.locator('#history').textContent()).toBe('no messages')
    expect(errors).toEqual([])
  })

  it('a page of another site cannot open a WebSocket to the gateway; its own page can', async () => {
    // The other site: a page on another port of this machine (another origin) that tries.
    const attempt = (target: string) => `<!doctype html><script>
      const socket = new WebSocket(${JSON.stringify(target)})
      socket.onopen = () => { document.title = 'open'; socket.close() }
      socket.onerror = () => { document.title = 'refused' }
    </script>`
    const foreign = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' })
      response.end(attempt(pages.gateway.url))
    })
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve))
    const { port: foreignPort } = foreign.address() as AddressInfo
    try {
      const watch = { outside, errors: [] as string[] }
      const evil = await openLoopbackPage(pages.browser, 'foreign', `http://127.0.0.1:${foreignPort}/`, watch)
      await expect.poll(() => evil.title()).toBe('refused')
      expect(watch.errors.join('\n')).toContain('403')
      // The gateway's own chat page connects as before.
      await joins('own', 'own-room')
      expect(errors).toEqual([])
    } finally {
      foreign.close()
    }
  })
})
