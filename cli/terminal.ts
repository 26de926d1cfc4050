/** The streams the CLI talks through: the process's own, or a caller's (`run(argv, streams)`). */
export interface Streams {
  stdout: NodeJS.WriteStream
  stderr: NodeJS.WriteStream
  stdin: NodeJS.ReadStream
}

let current: Streams = process

/**
 * The streams of the command running now. `run` sets them for the whole command: a command runs
 * alone in its process (the bin), or one at a time (tests that run the CLI in process).
 */
export const terminal = (): Streams => current

export function useTerminal(streams: Streams): void {
  current = streams
}
