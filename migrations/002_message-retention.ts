import { BatchPutRequest } from 'dynamodb-toolbox/entity/actions/batchPut'
import { EntityFormatter } from 'dynamodb-toolbox/entity/actions/format'
import { fromEnvironment } from '../src/config/fromEnvironment.js'
import { checkOption } from '../src/config/settings.js'
import { isChatDbError } from '../src/errors.js'
import { MigrationError } from '../src/migrator/errors.js'
import { replaceItem } from '../src/migrator/rawItems.js'
import type { Migration, MigrationContext, ScannedItem, TimeToLiveOutcome } from '../src/migrator/types.js'
import { expiryOf } from '../src/retention.js'

export const DEFAULT_RETENTION_DAYS = 90
export const EXPIRY_ATTRIBUTE = 'expiresAt'

/**
 * Retention in days: migration option `messageRetentionDays`, else the environment's
 * `CHATDB_MESSAGE_RETENTION_DAYS`, else 90.
 */
export function retentionDays(ctx: Pick<MigrationContext, 'options' | 'env'>): number {
  try {
    const { messageRetentionDays } = ctx.options
    if (messageRetentionDays !== undefined) return checkOption('messageRetentionDays', messageRetentionDays)
    return fromEnvironment(ctx.env, ['messageRetentionDays']).messageRetentionDays ?? DEFAULT_RETENTION_DAYS
  } catch (error) {
    if (!isChatDbError(error)) throw error
    throw new MigrationError('migration.invalidOption', error.message, { cause: error })
  }
}

/**
 * Where the retention of existing messages is counted from: `upgrade` (the default) counts it
 * from the migration's run, so an upgrade makes nothing deletable before the retention has passed
 * after it; `message-time` counts it from each message's own time, so history older than the
 * retention becomes deletable as soon as TTL is on. Migration option `messageRetentionFrom`
 * (CLI `--retention-from`), else `CHATDB_MESSAGE_RETENTION_FROM`, else `upgrade`.
 */
export type RetentionFrom = 'upgrade' | 'message-time'

export function retentionFrom(ctx: Pick<MigrationContext, 'options' | 'env'>): RetentionFrom {
  const raw = ctx.options.messageRetentionFrom ?? ctx.env.CHATDB_MESSAGE_RETENTION_FROM
  if (raw === undefined || raw === '') return 'upgrade'
  if (raw === 'upgrade' || raw === 'message-time') return raw
  throw new MigrationError(
    'migration.invalidOption',
    `message retention must count from "upgrade" or "message-time" (got "${String(raw)}" from ${
      ctx.options.messageRetentionFrom === undefined
        ? 'CHATDB_MESSAGE_RETENTION_FROM'
        : 'messageRetentionFrom'
    })`,
  )
}

/**
 * The `expiresAt` (epoch seconds) an existing message of `timeMs` gets: the retention counted
 * from its time, but under `upgrade` from no earlier than `runStartedAt` (epoch ms).
 */
export function existingExpiry(timeMs: number, days: number, from: RetentionFrom, runStartedAt: number) {
  return expiryOf(from === 'upgrade' ? Math.max(timeMs, runStartedAt) : timeMs, days)
}

/** Epoch seconds (DynamoDB TTL's unit) at which a message sent at `timeMs` expires. */
export { expiryOf }

/**
 * Gives every message an `expiresAt` (epoch seconds: the retention counted from its time, and by
 * default from no earlier than the upgrade, see {@link RetentionFrom}) and turns on TTL for that
 * attribute, so DynamoDB deletes old messages by itself. Messages that already have an
 * `expiresAt` keep it. Endpoints without UpdateTimeToLive (dynalite) get the data part
 * and a plain notice that TTL is not enabled. `down` removes the attribute and turns TTL off.
 */
export const migration: Migration = {
  version: 2,
  name: 'message-retention',
  description: 'give messages an expiresAt (retention, default 90 days) and enable TTL on it',
  checksum: 'message-retention/2',

  async up(ctx) {
    const days = retentionDays(ctx)
    const from = retentionFrom(ctx)
    const format = ctx.entities.Message.build(EntityFormatter)
    const nowSeconds = Math.floor(ctx.now() / 1000)
    // Counted over every message this run looks at, not only those it writes: on a re-run, or
    // a resumed run redoing the pages after its last checkpoint, messages that already got an
    // `expiresAt` are skipped, and a count of this run's writes alone would say "0 expired".
    const counts = { items: 0, messages: 0, given: 0, kept: 0, expired: 0 }
    // The earliest `expiresAt` not yet past: when TTL may first delete anything after this run.
    let earliest = Number.POSITIVE_INFINITY
    const count = (expiresAt: number) => {
      if (expiresAt <= nowSeconds) counts.expired++
      else earliest = Math.min(earliest, expiresAt)
    }
    const phase = await ctx.scanRewrite({
      phase: 'messages',
      transform(item) {
        counts.items++
        if (item._et !== 'Message') return undefined
        counts.messages++
        const existing = item[EXPIRY_ATTRIBUTE]
        if (existing !== undefined) {
          counts.kept++
          count(Number(existing))
          return undefined
        }
        const message = format.format(item)
        // `startedAt` is the first attempt's (kept in the ledger): a run resumed days later gives
        // the pages after its checkpoint the same horizon as those before it.
        const expiresAt = existingExpiry(message.time, days, from, ctx.startedAt)
        count(expiresAt)
        counts.given++
        const put = ctx.entities.Message.build(BatchPutRequest)
          // `data` as it is, not the decoded name: a message in a write shard (`<user>|<k>`,
          // userHistoryShards > 1) stays in its shard (the entity's encoder keeps what it gets).
          .item({ ...message, userName: String(item.data), expiresAt })
          .params()
        return replaceItem(item, put, [])
      },
    })
    const given = ctx.dryRun ? 'would be given' : 'given'
    const counted =
      from === 'upgrade'
        ? `${days} days from the upgrade, ${isoSeconds(Math.floor(ctx.startedAt / 1000))}, or from a later message time`
        : `${days} days from each message's time`
    if (phase.skipped) {
      ctx.notice(
        `messages done by an earlier attempt: ${phase.scanned} item(s) scanned, ${phase.changed} message(s) ${given} an ${EXPIRY_ATTRIBUTE}`,
      )
    } else {
      // A resumed run scans only the pages after its last checkpoint; the phase's totals add
      // the earlier attempts' pages.
      const earlier =
        phase.scanned > counts.items
          ? `; with the pages of earlier attempts: ${phase.scanned} item(s) scanned, ${phase.changed} message(s) ${given} one`
          : ''
      ctx.notice(
        `${counts.messages} message(s) considered: ${counts.given} ${given} an ${EXPIRY_ATTRIBUTE} (${counted}), ${counts.kept} already had one${earlier}`,
      )
    }
    if (counts.expired > 0) {
      ctx.notice(
        `${counts.expired} of them are past their ${EXPIRY_ATTRIBUTE}: TTL will delete them once it is enabled`,
      )
    }
    if (Number.isFinite(earliest)) {
      ctx.notice(
        `${counts.expired > 0 ? 'the others cannot' : 'none of them can'} be deleted before ${isoSeconds(earliest)}`,
      )
    }
    ctx.detail('retention', {
      days,
      from,
      messagesConsidered: counts.messages,
      given: counts.given,
      alreadyHad: counts.kept,
      deletableOnceTtlIsOn: counts.expired,
      earliestDeletion: Number.isFinite(earliest) ? isoSeconds(earliest) : null,
    })
    report(
      ctx,
      await ctx.setTimeToLive(EXPIRY_ATTRIBUTE, true),
      `enabled on ${EXPIRY_ATTRIBUTE} (${days} days)`,
    )
  },

  async down(ctx) {
    await ctx.scanRewrite({
      phase: 'messages',
      transform(item: ScannedItem) {
        if (item._et !== 'Message' || item[EXPIRY_ATTRIBUTE] === undefined) return undefined
        const { [EXPIRY_ATTRIBUTE]: _dropped, ...rest } = item
        return replaceItem(rest, { PutRequest: { Item: rest } }, [])
      },
    })
    report(ctx, await ctx.setTimeToLive(EXPIRY_ATTRIBUTE, false), 'disabled')
  },
}

export default migration

function isoSeconds(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString()
}

function report(ctx: MigrationContext, outcome: TimeToLiveOutcome, what: string) {
  const messages: Record<TimeToLiveOutcome, string> = {
    changed: `TTL ${what}`,
    unchanged: `TTL already ${what.split(' ')[0]}`,
    unsupported: 'endpoint does not support UpdateTimeToLive; TTL not enabled (the data part is applied)',
    'dry-run': `would set TTL: ${what}`,
  }
  const message =
    outcome === 'unsupported' && ctx.direction === 'down'
      ? 'endpoint does not support UpdateTimeToLive; TTL left as it is (the data part is applied)'
      : messages[outcome]
  ctx.notice(message)
}
