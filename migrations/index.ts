import type { Migration } from '../src/migrator/types.js'
import { migration as legacySeedLayout } from './001_legacy-seed-layout.js'
import { migration as messageRetention } from './002_message-retention.js'
import { migration as roomListingShards } from './003_room-listing-shards.js'

/**
 * Every migration, in order. An explicit list (not a directory scan) so that bundlers keep it
 * and the order is reviewed like code. `chatdb migrate create <name>` appends to it.
 */
export const migrations: readonly Migration[] = [
  legacySeedLayout,
  messageRetention,
  roomListingShards,
  // chatdb migrate create: new migrations are added above this line
]
