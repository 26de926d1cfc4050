import { describe, expect, it } from 'vitest'
import { allItems, type PageKey, type PageOutput, pages } from '../../../src/repository/pager.js'

/** A table of `total` numbered items served `pageSize` at a time, recording every request. */
function pagedSource(total: number, pageSize: number) {
  const requests: (PageKey | undefined)[] = []
  const readPage = async (startKey: PageKey | undefined): Promise<PageOutput<number>> => {
    requests.push(startKey)
    const from = startKey === undefined ? 0 : (startKey.next as number)
    const items = Array.from({ length: Math.min(pageSize, total - from) }, (_, i) => from + i)
    const next = from + items.length
    return { Items: items, Count: items.length, LastEvaluatedKey: next < total ? { next } : undefined }
  }
  return { readPage, requests }
}

describe('pager', () => {
  describe('pages', () => {
    it('follows LastEvaluatedKey until the last page', async () => {
      const source = pagedSource(7, 3)
      const items = await allItems(pages(source.readPage))
      expect(items).toEqual([0, 1, 2, 3, 4, 5, 6])
      expect(source.requests).toEqual([undefined, { next: 3 }, { next: 6 }])
    })

    it('sends no further request when the reader breaks out', async () => {
      const source = pagedSource(10, 2)
      const seen: number[] = []
      for await (const { items } of pages(source.readPage)) {
        seen.push(...items)
        if (seen.length >= 3) break
      }
      expect(seen).toEqual([0, 1, 2, 3])
      expect(source.requests).toHaveLength(2)
    })

    it('stops after maxPages and tells where to resume', async () => {
      const source = pagedSource(10, 4)
      const read = []
      for await (const page of pages(source.readPage, { maxPages: 1 })) read.push(page)
      expect(read).toEqual([{ items: [0, 1, 2, 3], count: 4, lastKey: { next: 4 } }])
      const rest = await allItems(pages(source.readPage, { startKey: read[0]?.lastKey }))
      expect(rest).toEqual([4, 5, 6, 7, 8, 9])
    })

    it('yields one empty page for an empty result', async () => {
      const source = pagedSource(0, 5)
      const read = []
      for await (const page of pages(source.readPage)) read.push(page)
      expect(read).toEqual([{ items: [], count: 0, lastKey: undefined }])
    })
  })
})
