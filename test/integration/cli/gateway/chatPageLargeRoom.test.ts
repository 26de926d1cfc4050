import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { inspectRoom } from '../../../../src/admin/inspectRoom.js'
import type { ChatMessageFrame, ServerFrame } from '../../../../src/protocol/frames.js'
import { join, members, useGatewayPages } from '../../../support/gatewayPages.js'
import { connectClient } from '../../../support/wsClient.js'

// The chat page told that its room is large (docs/protocol.md, "Large rooms"), in Chromium, on
// the real gateway: the page joins for real, then the test posts the frames a large room sends
// straight to the page's connection through the gateway's `@connections` API — the endpoint the
// handlers post through — so what the page does with them is all that is tested.
const pages = useGatewayPages({ skipped: 'chat page browser tests' })
const { outside, errors, table: t } = pages

const count = (page: Page) => page.locator('#member-count').textContent()
const more = async (page: Page) => {
  const element = page.locator('#members-more')
  return (await element.isVisible()) ? element.textContent() : undefined
}
const messages = (page: Page) => page.getByRole('log').locator('.text').allTextContents()

/** The connection the gateway gave `userName` in `room`, read from the table as `chatdb inspect room` does. */
async function connectionOf(room: string, userName: string): Promise<string> {
  const details = await inspectRoom(t.repository(), room)
  const subscriber = details?.subscribers.find((s) => s.userName === userName)
  if (!subscriber) throw new Error(`${userName} is not subscribed to ${room}`)
  return subscriber.connectionId
}

/** Posts a frame to one connection as the handlers (and the fan-out worker) do: the SDK, signed. */
async function post(connectionId: string, frame: ServerFrame) {
  const management = new ApiGatewayManagementApiClient({
    endpoint: pages.gateway.managementEndpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  })
  try {
    await management.send(
      new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(JSON.stringify(frame)) }),
    )
  } finally {
    management.destroy()
  }
}

const message = (id: string, time: number, text: string): ChatMessageFrame => ({
  id,
  userName: 'u007',
  message: text,
  time,
})

describe.skipIf(!pages.executablePath)('the chat page in a large room', () => {
  it('counts a small room’s members from its list, as they join and leave', async () => {
    const ada = await pages.person('ada')
    await join(ada, 'lobby')
    await expect.poll(() => count(ada), { timeout: 10_000 }).toBe('1 member')
    const bob = await connectClient(pages.gateway.url)
    bob.send({ action: 'subscribe', roomName: 'lobby', userName: 'bob' })
    await bob.next('subscribed')
    await expect.poll(() => members(ada), { timeout: 10_000 }).toEqual(['ada', 'bob'])
    expect(await count(ada)).toBe('2 members')
    expect(await more(ada)).toBeUndefined()
    await bob.close()
    await expect.poll(() => count(ada), { timeout: 10_000 }).toBe('1 member')
    await ada.context().close()
  })

  it('shows the count, the sample with "and N more", and each message once in (time, id) order', async () => {
    const ada = await pages.person('ada')
    await join(ada, 'arena')
    const connectionId = await connectionOf('arena', 'ada')
    const t0 = Date.UTC(2026, 10, 27, 9, 0, 0)

    const sample = ['ada', ...Array.from({ length: 99 }, (_, i) => `u${String(i + 1).padStart(3, '0')}`)]
    await post(connectionId, {
      type: 'subscribed',
      roomName: 'arena',
      users: sample,
      messages: [message('m-0', t0, 'welcome')],
      truncated: { messages: 0, users: 4_900 },
      subscriberCount: 5_000,
    })
    await expect.poll(() => count(ada), { timeout: 10_000 }).toBe('5,000 members')
    expect(await members(ada)).toEqual(sample)
    expect(await more(ada)).toBe('and 4,900 more')

    await post(connectionId, { type: 'roomStats', roomName: 'arena', subscriberCount: 5_123 })
    await expect.poll(() => count(ada), { timeout: 10_000 }).toBe('5,123 members')
    expect(await more(ada)).toBe('and 5,023 more')
    expect(await members(ada)).toEqual(sample)

    // Fan-out delivers in no set order and at least once: the third first, then the first, the
    // second (same millisecond as the third, smaller id) and the third again.
    const first = message('m-9', t0 + 1_000, 'first')
    const second = message('m-1', t0 + 2_000, 'second')
    const third = message('m-2', t0 + 2_000, 'third')
    for (const m of [third, first, second, third]) {
      await post(connectionId, { type: 'newMessage', roomName: 'arena', message: m })
    }
    await expect
      .poll(() => messages(ada), { timeout: 10_000 })
      .toEqual(['welcome', 'first', 'second', 'third'])

    // An approximate count that drifted below the sample shows the sample's size, nothing more.
    await post(connectionId, { type: 'roomStats', roomName: 'arena', subscriberCount: 98 })
    await expect.poll(() => count(ada), { timeout: 10_000 }).toBe('100 members')
    expect(await more(ada)).toBeUndefined()
    // A roomStats for a room the page is not in changes nothing.
    await post(connectionId, { type: 'roomStats', roomName: 'elsewhere', subscriberCount: 7 })
    await post(connectionId, { type: 'roomStats', roomName: 'arena', subscriberCount: 5_001 })
    await expect.poll(() => count(ada), { timeout: 10_000 }).toBe('5,001 members')
    expect(await messages(ada)).toEqual(['welcome', 'first', 'second', 'third'])
    await ada.context().close()
  })

  it('applies a message and a roomStats that overtook the room’s state once the state is there', async () => {
    const cy = await pages.person('cy')
    // The page's socket, routed through the test: the gateway's `subscribed` answer is held back
    // while a fan-out's newMessage and a roomStats reach the page first.
    const overtaking: ServerFrame[] = [
      {
        type: 'newMessage',
        roomName: 'stage',
        message: message('m-5', Date.now() + 60_000, 'overtook the state'),
      },
      { type: 'roomStats', roomName: 'stage', subscriberCount: 2_000 },
    ]
    await cy.routeWebSocket(/.*/, (ws) => {
      const server = ws.connectToServer()
      server.onMessage((data) => {
        const frame = JSON.parse(String(data)) as ServerFrame
        if (frame.type === 'subscribed' && frame.roomName === 'stage') {
          for (const early of overtaking) ws.send(JSON.stringify(early))
        }
        ws.send(data)
      })
    })
    await cy.reload()
    await cy.getByLabel('Name', { exact: true }).fill('cy')
    await join(cy, 'stage')
    await expect.poll(() => count(cy), { timeout: 10_000 }).toBe('2,000 members')
    expect(await members(cy)).toEqual(['cy'])
    expect(await more(cy)).toBe('and 1,999 more')
    expect(await messages(cy)).toEqual(['overtook the state'])
    expect(outside).toEqual([])
    expect(errors).toEqual([])
  })
})
