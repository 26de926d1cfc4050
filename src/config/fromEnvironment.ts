import { readSetting, SETTINGS, type SettingName, type SettingValue } from './settings.js'

/** A process's environment, or a test's stand-in for it. */
export type Environment = Readonly<Record<string, string | undefined>>

/**
 * The named settings from their variables (see {@link SETTINGS}), each only where its variable is
 * set and not blank: the caller applies its own defaults. The first bad value throws
 * `validation.option` naming the variable.
 *
 * @example
 * fromEnvironment({ CHATDB_LARGE_ROOM_THRESHOLD: 'off' }, ['largeRoomThreshold', 'largeRoomShards'])
 * // { largeRoomThreshold: Infinity }
 */
export function fromEnvironment<K extends SettingName>(
  env: Environment,
  names: readonly K[],
): { [P in K]?: SettingValue<P> } {
  const found: { [P in K]?: SettingValue<P> } = {}
  for (const name of names) {
    const variable = (SETTINGS[name] as { env?: string }).env
    const raw = variable === undefined ? undefined : env[variable]
    if (variable === undefined || raw === undefined || raw.trim() === '') continue
    found[name] = readSetting(name, raw, variable)
  }
  return found
}
