import { describe, expect, it, vi } from 'vitest'
import { createManagementPool } from '../../../src/lambda/managementClient.js'

const endpoint = (i: number) => `https://api${i}.execute-api.eu-west-1.amazonaws.com/prod`

describe('createManagementPool', () => {
  describe('clientFor', () => {
    it('gives one client per endpoint, the same one on every use', () => {
      const pool = createManagementPool({ region: 'eu-west-1' })
      expect(pool.clientFor(endpoint(1))).toBe(pool.clientFor(endpoint(1)))
      expect(pool.clientFor(endpoint(2))).not.toBe(pool.clientFor(endpoint(1)))
      pool.destroy()
    })

    it('keeps at most maxClients, destroying the least recently used and telling onEvict', () => {
      const evicted: string[] = []
      const pool = createManagementPool({
        region: 'eu-west-1',
        maxClients: 2,
        onEvict: (gone) => evicted.push(gone),
      })
      const first = pool.clientFor(endpoint(1))
      const second = pool.clientFor(endpoint(2))
      const destroyFirst = vi.spyOn(first, 'destroy')
      const destroySecond = vi.spyOn(second, 'destroy')
      pool.clientFor(endpoint(1))
      pool.clientFor(endpoint(3))
      expect(destroySecond).toHaveBeenCalledTimes(1)
      expect(destroyFirst).not.toHaveBeenCalled()
      expect(evicted).toEqual([endpoint(2)])
      expect(pool.endpoints()).toEqual([endpoint(1), endpoint(3)])
      pool.destroy()
    })

    it('holds a few clients however many endpoints it is asked for', () => {
      const pool = createManagementPool({ region: 'eu-west-1' })
      for (let i = 0; i < 3_000; i++) pool.clientFor(endpoint(i))
      expect(pool.endpoints()).toHaveLength(4)
      pool.destroy()
    })
  })
})
