import { describe, expect, it } from 'vitest'
import { runLoad } from '../../../bench/load.js'

describe('npm run load (quick size)', () => {
  it('stores and delivers every message exactly once through chatdb serve, and survives a garbage storm', async () => {
    const report = await runLoad({ clients: 20, rooms: 2, messages: 3, garbage: 5, timeoutMs: 120_000 })
    expect(report.violations).toEqual([])
    expect(report.messagesSent).toBe(60)
    expect(report.messagesStored).toBe(60)
    // 2 rooms of 10: every message reaches its room's 10 subscribers.
    expect(report.deliveries).toBe(600)
    expect(report.expectedDeliveries).toBe(600)
    expect(report.garbageAnswered).toBe(100)
  })
})
