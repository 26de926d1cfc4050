import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { confirmOrRefuse, createOutput, StdoutClosed } from '../../../cli/output.js'

/** In-memory stdio; `tty` makes stdin and stderr claim to be a terminal. */
function fakeStreams({ tty = false, answer }: { tty?: boolean; answer?: string } = {}) {
  const stream = () => Object.assign(new PassThrough(), { isTTY: tty }) as unknown as NodeJS.WriteStream
  const stdout = stream()
  const stderr = stream()
  const stdin = Object.assign(new PassThrough(), { isTTY: tty }) as unknown as NodeJS.ReadStream
  if (answer !== undefined) setImmediate(() => (stdin as unknown as PassThrough).write(`${answer}\n`))
  const text = (s: NodeJS.WriteStream) => String((s as unknown as PassThrough).read() ?? '')
  return { streams: { stdout, stderr, stdin }, out: () => text(stdout), err: () => text(stderr) }
}

describe('createOutput', () => {
  it('prints JSON alone on stdout with --json, and people-lines on stderr', () => {
    const io = fakeStreams()
    const output = createOutput({ json: true, streams: io.streams })
    output.info('working')
    output.result({ rooms: 2 }, () => 'two rooms')
    expect(JSON.parse(io.out())).toEqual({ rooms: 2 })
    expect(io.err()).toBe('working\n')
  })

  it('renders for people without --json, and writes errors as code: message plus hint', () => {
    const io = fakeStreams()
    const output = createOutput({ json: false, streams: io.streams })
    output.result({ rooms: 2 }, (r) => output.table(['rooms'], [[r.rooms]]))
    expect(io.out()).toMatch(/│ rooms │\n.*\n│ 2 +│/)
    output.error({ code: 'cli.notFound', message: 'no room "x"', hint: 'list them', exitCode: 1 })
    expect(io.err()).toBe('cli.notFound: no room "x"\nhint: list them\n')
    expect(io.out()).toBe('')
  })

  it('adds the error as JSON on stdout with --json', () => {
    const io = fakeStreams()
    createOutput({ json: true, streams: io.streams }).error({ code: 'x.y', message: 'm', exitCode: 1 })
    expect(JSON.parse(io.out())).toEqual({ error: { code: 'x.y', message: 'm' } })
  })
})

describe('createOutput.progress', () => {
  it('draws nothing when stderr is not a terminal, nor with --json on one', () => {
    for (const [tty, json] of [
      [false, false],
      [true, true],
    ] as const) {
      const io = fakeStreams({ tty })
      const bar = createOutput({ json, streams: io.streams }).progress(10, 'importing')
      bar.update(5)
      bar.update(10, 12)
      bar.stop()
      expect(io.err(), `tty ${tty}, json ${json}`).toBe('')
      expect(io.out()).toBe('')
    }
  })

  it('draws a bar on a terminal that follows the count and a raised total', () => {
    const io = fakeStreams({ tty: true })
    const bar = createOutput({ json: false, streams: io.streams }).progress(10, 'exporting')
    bar.update(5)
    bar.update(12, 20)
    bar.stop()
    const drawn = io.err()
    expect(drawn).toContain('exporting [')
    expect(drawn).toContain('12/20')
    expect(io.out()).toBe('')
  })
})

describe('createOutput.raw', () => {
  it('throws StdoutClosed once the reader of stdout has gone (EPIPE), instead of crashing', async () => {
    const io = fakeStreams()
    const output = createOutput({ json: false, streams: io.streams })
    await output.raw('first\n')
    io.streams.stdout.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))
    await expect(output.raw('second\n')).rejects.toBeInstanceOf(StdoutClosed)
  })
})

describe('confirmOrRefuse', () => {
  const ask = { question: 'Delete table "chat"?', refusal: 'refusing to delete table "chat"' }

  it('goes ahead with --yes without asking', async () => {
    const io = fakeStreams()
    await confirmOrRefuse(createOutput({ json: false, streams: io.streams }), { ...ask, yes: true })
    expect(io.err()).toBe('')
  })

  it('refuses without a terminal, telling to pass --yes', async () => {
    const io = fakeStreams()
    await expect(
      confirmOrRefuse(createOutput({ json: false, streams: io.streams }), { ...ask, yes: false }),
    ).rejects.toMatchObject({ code: 'cli.confirmationRequired', hint: expect.stringContaining('--yes') })
  })

  it('asks on a terminal and follows the answer', async () => {
    const yes = fakeStreams({ tty: true, answer: 'y' })
    await confirmOrRefuse(createOutput({ json: false, streams: yes.streams }), { ...ask, yes: false })
    expect(yes.err()).toContain('Delete table "chat"? [y/N]')

    const no = fakeStreams({ tty: true, answer: 'n' })
    await expect(
      confirmOrRefuse(createOutput({ json: false, streams: no.streams }), { ...ask, yes: false }),
    ).rejects.toMatchObject({
      code: 'cli.confirmationRequired',
      message: 'refusing to delete table "chat": not confirmed',
    })
  })
})
