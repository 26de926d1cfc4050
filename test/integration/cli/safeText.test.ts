import { PutCommand } from '@aws-sdk/lib-dynamodb'
import { describe, expect, it } from 'vitest'
import { textWidth } from '../../../cli/safeText.js'
import { runCli } from '../../support/cli.js'
import { useTestTable } from '../../support/dynamo.js'
import { scanAll } from '../../support/scan.js'

const DAY = 86_400_000

describe('human output of user-chosen text (built CLI against the test engine)', () => {
  const t = useTestTable()
  // No terminal and no COLUMNS: tables fit the default width, 120.
  const cli = (...args: string[]) => runCli(args, { table: t.tableName, env: { COLUMNS: undefined } })

  it('shows control characters escaped, cuts long messages to the table width, and --json keeps them', async () => {
    const repository = t.repository()
    const time = Date.now() - 3 * DAY
    await repository.subscribe({ roomName: 'general', connectionId: 'AAAAAAAAAAAAAAA=', userName: 'eve' })
    await repository.subscribe({
      roomName: 'general',
      connectionId: 'BBBBBBBBBBBBBBB=',
      userName: 'ev\u202egnp.exe',
    })
    const forged = 'hi\r│ 2026-01-01T00:00:00.000Z │ admin │ please send me your password │'
    await repository.postMessage({
      roomName: 'general',
      connectionId: 'AAAAAAAAAAAAAAA=',
      message: forged,
      time,
    })
    const long = `${'x'.repeat(3000)}😀😀`
    await repository.postMessage({
      roomName: 'general',
      connectionId: 'AAAAAAAAAAAAAAA=',
      message: long,
      time,
    })
    // The protocol refuses ESC in a message; an imported or hand-written item may still hold one.
    const stored = (await scanAll(t.documentClient, t.tableName)).find((item) => item.message === forged)
    const ansi = '\x1b[2J\x1b[31mred alert\u2028new line'
    await t.documentClient.send(
      new PutCommand({ TableName: t.tableName, Item: { ...stored, sk: `${stored?.sk}-2`, message: ansi } }),
    )

    const human = await cli('inspect', 'room', 'general', '--limit', '10')
    expect(human.code, human.stderr).toBe(0)
    for (const raw of ['\r', '\x1b', '\u2028', '\u202e']) expect(human.stdout).not.toContain(raw)
    expect(human.stdout).toContain('hi\\r│ 2026-01-01T00:00:00.000Z │ admin')
    expect(human.stdout).toContain('\\x1b[2J\\x1b[31mred alert\\u2028new line')
    expect(human.stdout).toContain('ev\\u202egnp.exe')
    // Every line fits the width; the long message is cut with an ellipsis (its emoji whole or gone).
    for (const line of human.stdout.split('\n')) expect(textWidth(line)).toBeLessThanOrEqual(120)
    const cutLine = human.stdout.split('\n').find((line) => line.includes('xxxx'))
    expect(cutLine).toMatch(/x…\s*│$/)
    expect(human.stdout).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/u)

    const json = await cli('inspect', 'room', 'general', '--limit', '10', '--json')
    const messages = json.json<{ messages: { message: string }[] }>().messages.map((m) => m.message)
    expect(messages).toEqual(expect.arrayContaining([forged, long, ansi]))
  })

  it('escapes user input echoed by an error message', async () => {
    const run = await cli('inspect', 'user', 'mallory\u202e')
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/^cli\.notFound: no messages from user "mallory\\u202e"/)
    expect(run.stderr).not.toContain('\u202e')
  })

  it('counts `cleanup messages` per room for rooms named constructor, __proto__ and toString', async () => {
    const repository = t.repository()
    const time = Date.now() - 3 * DAY
    const posts: [string, number][] = [
      ['constructor', 2],
      ['__proto__', 1],
      ['toString', 3],
    ]
    for (const [roomName, count] of posts) {
      await repository.subscribe({ roomName, connectionId: 'CCCCCCCCCCCCCCC=', userName: 'ada' })
      for (let i = 0; i < count; i++) {
        await repository.postMessage({ roomName, connectionId: 'CCCCCCCCCCCCCCC=', message: `m${i}`, time })
      }
    }
    const dry = await cli('cleanup', 'messages', '--older-than', '1d', '--dry-run', '--json')
    expect(dry.code, dry.stderr).toBe(0)
    const { rooms } = dry.json<{ rooms: Record<string, number> }>()
    expect(
      Object.entries(rooms)
        .filter(([name]) => name !== 'general')
        .sort(),
    ).toEqual([...posts].sort())
    const human = await cli('cleanup', 'messages', '--older-than', '1d', '--dry-run')
    expect(human.stdout).toMatch(/│ __proto__ +│ 1 +│/)
    expect(human.stdout).toMatch(/│ constructor +│ 2 +│/)
  })

  it('counts `inspect table` entities named __proto__ or constructor like any other', async () => {
    for (const [sk, entity] of [
      ['1', '__proto__'],
      ['2', 'constructor'],
      ['3', 'constructor'],
    ]) {
      await t.documentClient.send(
        new PutCommand({ TableName: t.tableName, Item: { pk: 'odd', sk, _et: entity } }),
      )
    }
    const run = await cli('inspect', 'table', '--json')
    expect(run.code, run.stderr).toBe(0)
    const { entities } = run.json<{ entities: Record<string, number> }>()
    expect(Object.entries(entities)).toEqual(
      expect.arrayContaining([
        ['__proto__', 1],
        ['constructor', 2],
      ]),
    )
  })
})
