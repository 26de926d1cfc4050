/**
 * Sizes of the long proofs (the 3,000-member room, the 20,000-item migration): their full size
 * under `npm run test:scale` (vitest.scale.config.ts sets CHATDB_SCALE=1), a smaller one in
 * `npm test`. The same test runs either way, with the same assertions.
 *
 * @example
 * const MEMBERS = atScale(3_000, 600)
 */
export const fullScale = process.env.CHATDB_SCALE === '1'

export function atScale<T>(full: T, small: T): T {
  return fullScale ? full : small
}
