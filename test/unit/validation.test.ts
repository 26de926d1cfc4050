import { describe, expect, it } from 'vitest'
import { ChatDbError } from '../../src/errors.js'
import {
  assertConnectionId,
  assertMessageText,
  assertRoomName,
  assertUserName,
} from '../../src/validation.js'

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return error instanceof ChatDbError ? error.code : `not a ChatDbError: ${String(error)}`
  }
  return undefined
}

describe('validation', () => {
  describe('assertRoomName', () => {
    it.each([['general'], ['x'], ['r'.repeat(100)], ['café ☕'], ['🎉'.repeat(100)], ['true']])(
      'accepts %j',
      (name) => {
        expect(assertRoomName(name)).toBe(name)
      },
    )

    it.each([
      ['empty', ''],
      ['too long', 'r'.repeat(101)],
      ['key delimiter', 'a|b'],
      ['line feed', 'a\nb'],
      ['NUL', 'a\u0000b'],
      ['DEL', 'a\u007fb'],
      ['C1 control', 'a\u0085b'],
      ['lone surrogate', 'a\ud800b'],
      ['U+FFFE, which SQS refuses', 'a\ufffeb'],
      ['U+FFFF, which SQS refuses', 'a\uffffb'],
      ['number', 42],
      ['null', null],
      ['object', { name: 'x' }],
    ])('rejects %s', (_, value) => {
      expect(codeOf(() => assertRoomName(value))).toBe('validation.roomName')
    })
  })

  describe('assertUserName', () => {
    it('accepts 50 characters counted as code points', () => {
      expect(assertUserName('😀'.repeat(50))).toHaveLength(100)
    })

    it.each([['u'.repeat(51)], ['a|b'], [''], ['tab\there']])('rejects %j', (value) => {
      expect(codeOf(() => assertUserName(value))).toBe('validation.userName')
    })
  })

  describe('assertMessageText', () => {
    it('accepts line breaks, tabs and the key delimiter', () => {
      expect(assertMessageText('a|b\nc\td\r\n')).toBe('a|b\nc\td\r\n')
    })

    it('accepts every character SQS carries, up to the last of each range', () => {
      const text = 'x\t\u0020\ud7ff\ue000\ufffd\u{10000}\u{10ffff}\ufdd0 \u200b'
      expect(assertMessageText(text)).toBe(text)
    })

    it('accepts 4,096 characters', () => {
      expect(assertMessageText('m'.repeat(4096))).toHaveLength(4096)
    })

    it.each([
      ['empty', ''],
      ['too long', 'm'.repeat(4097)],
      ['NUL', 'a\u0000'],
      ['escape', '\u001b[31mred'],
      ['U+FFFE, which SQS refuses', 'a\ufffe'],
      ['U+FFFF, which SQS refuses', '\uffff'],
      ['a space', ' '],
      ['only whitespace', ' \t\r\n \u00a0\u2003\u3000\ufeff'],
      ['not a string', 7],
    ])('rejects %s', (_, value) => {
      expect(codeOf(() => assertMessageText(value))).toBe('validation.message')
    })
  })

  describe('assertConnectionId', () => {
    it('accepts API Gateway connection ids', () => {
      expect(assertConnectionId('Xk3a9cD1oAMCJzQ=')).toBe('Xk3a9cD1oAMCJzQ=')
    })

    it.each([[''], ['a|b'], ['c'.repeat(129)]])('rejects %j', (value) => {
      expect(codeOf(() => assertConnectionId(value))).toBe('validation.connectionId')
    })
  })
})
