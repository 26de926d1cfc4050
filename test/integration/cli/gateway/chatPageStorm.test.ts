import { describe, expect, it } from 'vitest'
import { join, members, useGatewayPages } from '../../../support/gatewayPages.js'
import { connectClient } from '../../../support/wsClient.js'

// The chat page told of a coalesced burst of departures (`usersUnsubscribed`), in Chromium,
// against the real gateway and handlers on dynalite. A room counts as big from 2 items here,
// and the burst's window is long enough for four closes at once to fall into one burst.
const pages = useGatewayPages({
  skipped: 'chat page browser tests',
  gateway: () => ({ coalesceFrom: 2, coalesceWindowMs: 2_000 }),
})
const { outside, errors } = pages

describe.skipIf(!pages.executablePath)('the chat page in a $disconnect storm', () => {
  it('drops every name of a usersUnsubscribed frame from the Members list', async () => {
    const ada = await pages.person('ada')
    await join(ada, 'crowd')
    const names = ['bob', 'cy', 'w1', 'w2', 'w3', 'w4']
    const clients = await Promise.all(names.map(() => connectClient(pages.gateway.url)))
    for (const [i, client] of clients.entries()) {
      client.send({ action: 'subscribe', roomName: 'crowd', userName: names[i] })
      await client.next('subscribed')
    }
    await expect.poll(() => members(ada), { timeout: 10_000 }).toEqual(['ada', ...names])

    await Promise.all(clients.slice(2).map((client) => client.close()))

    const bob = clients[0] as Awaited<ReturnType<typeof connectClient>>
    expect(await bob.next('usersUnsubscribed', () => true, 20_000)).toEqual({
      type: 'usersUnsubscribed',
      roomName: 'crowd',
      userNames: ['w1', 'w2', 'w3', 'w4'],
    })
    await expect.poll(() => members(ada), { timeout: 10_000 }).toEqual(['ada', 'bob', 'cy'])
    expect(await ada.getByRole('log').textContent()).toContain('w1, w2, w3, w4 left')
    expect(outside).toEqual([])
    expect(errors).toEqual([])
    await Promise.all(clients.slice(0, 2).map((client) => client.close()))
  })
})
