import { ChatDbError } from '../errors.js'

/** A process's environment, or a test's stand-in for it. */
export type Environment = Record<string, string | undefined>

/**
 * A positive number from the environment, or undefined when unset or empty; anything else is a
 * deployment error (`validation.option` naming the variable). `Infinity` passes: some settings
 * use it to mean "never" (`CHATDB_DISCONNECT_COALESCE_FROM`).
 */
export function positiveFromEnv(env: Environment, name: string): number | undefined {
  const raw = env[name]
  if (raw === undefined || raw === '') return undefined
  const value = Number(raw)
  if (!(value > 0))
    throw new ChatDbError('validation.option', `${name} must be a positive number (got "${raw}")`)
  return value
}

/** A count (attempts, posts, sockets) from the environment: a positive whole number, or undefined when unset. */
export function countFromEnv(env: Environment, name: string): number | undefined {
  const value = positiveFromEnv(env, name)
  if (value !== undefined && !Number.isInteger(value))
    throw new ChatDbError('validation.option', `${name} must be a whole number (got "${env[name]}")`)
  return value
}

/** A positive finite number (a timeout) from the environment, or undefined when unset. */
export function finiteFromEnv(env: Environment, name: string): number | undefined {
  const value = positiveFromEnv(env, name)
  if (value !== undefined && !Number.isFinite(value))
    throw new ChatDbError('validation.option', `${name} must be a positive number (got "${env[name]}")`)
  return value
}

/** An http(s) URL from the environment, or undefined when unset or empty. */
export function urlFromEnv(env: Environment, name: string): string | undefined {
  const raw = env[name]
  if (raw === undefined || raw === '') return undefined
  let protocol: string
  try {
    protocol = new URL(raw).protocol
  } catch {
    protocol = ''
  }
  if (protocol !== 'https:' && protocol !== 'http:')
    throw new ChatDbError('validation.option', `${name} must be an http(s) URL (got "${raw}")`)
  return raw
}
