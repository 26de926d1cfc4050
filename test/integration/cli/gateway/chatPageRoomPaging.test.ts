import { describe, expect, it } from 'vitest'
import { mapWithConcurrency } from '../../../../src/util/concurrency.js'
import { useGatewayPages } from '../../../support/gatewayPages.js'

// More rooms than one listRooms page (1,000): the chat page follows `nextCursor` to list them all.
const ROOMS = 1_050
const pages = useGatewayPages({
  skipped: 'chat page browser tests',
  // Each room active through one subscription of a connection the gateway does not hold.
  setUp: async () => {
    const repository = t.repository()
    const names = Array.from({ length: ROOMS }, (_, i) => `room-${String(i).padStart(4, '0')}`)
    await mapWithConcurrency(names, 16, (roomName, i) =>
      repository.subscribe({ roomName, connectionId: `seed${i}=`, userName: 'seed' }),
    )
  },
  setUpTimeout: 120_000,
})
const { outside, errors, table: t } = pages

describe.skipIf(!pages.executablePath)('the chat page with more rooms than a listRooms page', () => {
  it('lists every room, page after page, in creation order', async () => {
    const page = await pages.open('pager')
    const rooms = () => page.getByRole('list', { name: 'Rooms' }).getByRole('listitem').allTextContents()
    await expect.poll(async () => (await rooms()).length, { timeout: 20_000 }).toBe(ROOMS)
    // Seeded 16 at a time, so creation order is not name order: the listing's own order is.
    const created = (await t.repository().activeRooms()).map((room) => room.roomName)
    expect((await rooms()).map((text) => text.trim())).toEqual(created)
    expect(outside).toEqual([])
    expect(errors).toEqual([])
  }, 60_000)
})
