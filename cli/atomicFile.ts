import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createWriteStream, rmSync } from 'node:fs'
import { chmod, rename, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { CliError } from './errors.js'

/** Writes text to the file being built; resolves when the file can take more. */
export type WriteText = (text: string) => Promise<void>

const SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const

/**
 * Builds `path` in a temporary file beside it and renames it over `path` only once `write` has
 * succeeded, so a failed or interrupted run (an error, Ctrl-C) never replaces the previous file
 * with a shorter one that looks valid; the temporary file is removed instead. Same directory,
 * so the rename is atomic (one filesystem). The previous file's permissions are kept.
 *
 * @example
 * await writeFileAtomically('chat.jsonl', async (writeText) => { await writeText('{"Item":{}}\n') })
 */
export async function writeFileAtomically<T>(
  path: string,
  write: (writeText: WriteText) => Promise<T>,
): Promise<T> {
  const previous = await stat(path).catch(() => undefined)
  if (previous?.isDirectory()) {
    throw new CliError('cli.input', `cannot write ${path}: it is a directory`, 'pass a file path to --out')
  }
  const temporary = join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  )
  const file = createWriteStream(temporary, { flags: 'wx' })
  let failure: Error | undefined
  file.on('error', (error) => {
    failure ??= error
  })
  await Promise.race([once(file, 'open'), once(file, 'error')]).catch(() => {})
  if (failure) {
    throw new CliError(
      'cli.input',
      `cannot write ${path}: ${failure.message}`,
      'pass a writable path to --out',
    )
  }
  // Waits for `event`, or rejects with the stream's error; leaves no listener behind (one per
  // write would pile up).
  const until = (event: 'drain' | 'close') =>
    new Promise<void>((resolve, reject) => {
      const settle = () => {
        file.off(event, settle)
        file.off('error', settle)
        if (failure) reject(failure)
        else resolve()
      }
      file.once(event, settle)
      file.once('error', settle)
    })
  const removeTemporary = () => rmSync(temporary, { force: true })
  // Synchronous on purpose: the process ends right after, with the usual 128 + signal code.
  const onSignal = (signal: keyof typeof SIGNALS) => {
    file.destroy()
    removeTemporary()
    // A progress bar hides the cursor and is not stopped on the way out: show it again.
    if (process.stderr.isTTY) process.stderr.write('\u001b[?25h\n')
    process.exit(SIGNALS[signal])
  }
  for (const signal of Object.keys(SIGNALS) as (keyof typeof SIGNALS)[]) process.once(signal, onSignal)
  try {
    const result = await write(async (text) => {
      if (failure) throw failure
      if (!file.write(text)) await until('drain')
    })
    file.end()
    await until('close')
    if (previous) await chmod(temporary, previous.mode & 0o7777)
    await rename(temporary, path)
    return result
  } catch (error) {
    file.destroy()
    removeTemporary()
    throw error
  } finally {
    for (const signal of Object.keys(SIGNALS) as (keyof typeof SIGNALS)[]) process.off(signal, onSignal)
  }
}
