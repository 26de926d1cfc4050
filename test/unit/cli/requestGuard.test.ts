import { describe, expect, it } from 'vitest'
import { createRequestGuard, normaliseHostName, normaliseOrigin } from '../../../cli/gateway/requestGuard.js'

describe('createRequestGuard', () => {
  it('bound to loopback: answers its address, localhost and the loopback addresses, nothing else', () => {
    const guard = createRequestGuard({ host: '127.0.0.1' })
    for (const host of ['127.0.0.1:3001', 'localhost:3001', 'LOCALHOST', '[::1]:3001']) {
      expect(guard.host({ host }), host).toBeDefined()
    }
    for (const host of [
      'evil.example:3001',
      '10.0.0.5:3001',
      'localhost.',
      'a@localhost',
      'localhost/x',
      '',
    ]) {
      expect(guard.host({ host }), host).toBeUndefined()
    }
    expect(guard.host({})).toBeUndefined()
  })

  it('bound to ::1 or a LAN address: that address and localhost', () => {
    expect(createRequestGuard({ host: '::1' }).host({ host: '[::1]:3001' })).toBe('[::1]:3001')
    const lan = createRequestGuard({ host: '192.168.1.5' })
    expect(lan.host({ host: '192.168.1.5:3001' })).toBe('192.168.1.5:3001')
    expect(lan.host({ host: 'localhost:3001' })).toBe('localhost:3001')
    expect(lan.host({ host: '127.0.0.1:3001' })).toBeUndefined()
  })

  it('bound to every address: any IP address and localhost, but no other name', () => {
    for (const bound of ['0.0.0.0', '::']) {
      const guard = createRequestGuard({ host: bound })
      expect(guard.host({ host: '10.1.2.3:3001' })).toBe('10.1.2.3:3001')
      expect(guard.host({ host: '[fe80::1]:3001' })).toBe('[fe80::1]:3001')
      expect(guard.host({ host: 'localhost:3001' })).toBe('localhost:3001')
      expect(guard.host({ host: 'rebind.evil.example:3001' })).toBeUndefined()
    }
  })

  it('takes Origin from its own page on the port the request came to, allowed origins, or none', () => {
    const guard = createRequestGuard({ host: '127.0.0.1', allowedOrigins: ['https://app.test'] })
    const host = '127.0.0.1:3001'
    expect(guard.originAllowed({ host })).toBe(true)
    expect(guard.originAllowed({ host, origin: 'http://127.0.0.1:3001' })).toBe(true)
    expect(guard.originAllowed({ host, origin: 'http://localhost:3001' })).toBe(true)
    expect(guard.originAllowed({ host, origin: 'https://app.test' })).toBe(true)
    expect(guard.originAllowed({ host, origin: 'http://localhost:3002' })).toBe(false)
    expect(guard.originAllowed({ host, origin: 'https://127.0.0.1:3001' })).toBe(false)
    expect(guard.originAllowed({ host, origin: 'http://evil.example:3001' })).toBe(false)
    expect(guard.originAllowed({ host, origin: 'null' })).toBe(false)
    // A port forward: the browser's port is the one in Host.
    expect(guard.originAllowed({ host: 'localhost:8080', origin: 'http://localhost:8080' })).toBe(true)
    // Never under a name it does not answer to, whatever the Origin.
    expect(guard.originAllowed({ host: 'evil.example:3001', origin: 'http://evil.example:3001' })).toBe(false)
  })

  it('refuses allowed names and origins that are not one', () => {
    expect(() => createRequestGuard({ host: '127.0.0.1', allowedHosts: ['http://x'] })).toThrow(RangeError)
    expect(() => createRequestGuard({ host: '127.0.0.1', allowedOrigins: ['*'] })).toThrow(RangeError)
    expect(normaliseOrigin('http://LOCALHOST:5173/')).toBe('http://localhost:5173')
    expect(normaliseOrigin('http://localhost:5173/app')).toBeUndefined()
    expect(normaliseOrigin('file:///x')).toBeUndefined()
    expect(normaliseHostName('DevBox.Local')).toBe('devbox.local')
    expect(normaliseHostName('devbox.local:3001')).toBeUndefined()
  })
})
