import { CliError } from './errors.js'

/** Throws the usage error (exit 2) for a value that must be an http(s) URL and is not. */
export function checkHttpUrl(name: string, value: string | undefined, example: string): void {
  if (value === undefined || isHttpUrl(value)) return
  throw new CliError('cli.usage', `${name} must be an http(s) URL, got "${value}"`, `e.g. ${example}`)
}

function isHttpUrl(text: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol)
  } catch {
    return false
  }
}
