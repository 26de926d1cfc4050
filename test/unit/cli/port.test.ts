import { describe, expect, it } from 'vitest'
import { reservePort } from '../../../cli/port.js'

describe('port', () => {
  describe('reservePort', () => {
    it('refuses a port outside 0–65535 as --port is refused, before listening', async () => {
      for (const port of [65_536, -1, 1.5]) {
        await expect(reservePort('127.0.0.1', port)).rejects.toMatchObject({
          code: 'cli.usage',
          message: `--port must be a whole number 0–65535 (got ${port})`,
        })
      }
    })
  })
})
